// @ts-check
/**
 * @module The review queue: each pending item with why it was queued, the trace (input,
 * output, tool calls) and its scores side by side, and a form to record a verdict with the
 * reviewer's name. A recorded verdict takes the item off the page and says what it did to
 * the trace's final verdict. Trace content is untrusted: text only.
 */
import { api, emptyState, enc, h, RouteMissing, textBlock } from "./dom.js";
import { queueItems, reviewItemView, verdictBody } from "./queue-model.js";
import { finalVerdictSection, scoreList } from "./review-panels.js";
import { verdictOutcome } from "./review-model.js";
import { displayValue, routeHref } from "./site-model.js";
import { shortTime } from "./trend-model.js";

const REVIEWER_KEY = "flywheel.reviewer";

/** @param {ReturnType<typeof reviewItemView>["trace"]} trace */
function traceColumn(trace) {
  if (!trace)
    return h("section", {}, emptyState("The trace cannot be read.", "It may be quarantined; its scores are beside."));
  return h(
    "section",
    {},
    h("h4", {}, "input"),
    textBlock(displayValue(trace.input), "value trace-input"),
    h("h4", {}, "output"),
    textBlock(displayValue(trace.output), "value trace-output"),
    trace.toolCalls.length ? h("h4", {}, `tool calls (${trace.toolCalls.length})`) : null,
    trace.toolCalls.map((t) =>
      h(
        "details",
        { class: "tool-call" },
        h("summary", {}, t.name || "(unnamed tool)"),
        h("h5", {}, "input"),
        textBlock(displayValue(t.input)),
        h("h5", {}, "output"),
        textBlock(displayValue(t.output)),
      ),
    ),
  );
}

/** @param {(outcome: string) => void} onDone */
function verdictForm(/** @type {string} */ key, /** @type {string} */ itemId, onDone) {
  const message = h("p", { class: "form-message", role: "status" });
  const form = /** @type {HTMLFormElement} */ (
    h(
      "form",
      { class: "verdict-form" },
      h("label", {}, h("input", { type: "radio", name: "verdict", value: "pass" }), " pass"),
      h("label", {}, h("input", { type: "radio", name: "verdict", value: "fail" }), " fail"),
      h("label", {}, "score ", h("input", { name: "score", inputmode: "decimal", size: 4, placeholder: "0–1" })),
      h(
        "label",
        {},
        "reviewer ",
        h("input", { name: "reviewer", required: true, value: localStorage.getItem(REVIEWER_KEY) ?? "" }),
      ),
      h("label", { class: "wide" }, "note ", h("input", { name: "note", size: 40 })),
      h("button", { type: "submit" }, "Record verdict"),
      message,
    )
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const parsed = verdictBody({
      verdict: String(data.get("verdict") ?? ""),
      score: String(data.get("score") ?? ""),
      note: String(data.get("note") ?? ""),
      reviewer: String(data.get("reviewer") ?? ""),
    });
    if ("error" in parsed) {
      message.textContent = parsed.error;
      return;
    }
    localStorage.setItem(REVIEWER_KEY, parsed.body.reviewer);
    for (const el of form.querySelectorAll("input, button")) el.setAttribute("disabled", "");
    try {
      const result = await api(key, `/api/review-queue/${enc(itemId)}/verdict`, {
        method: "POST",
        body: JSON.stringify(parsed.body),
      });
      onDone(verdictOutcome(result));
    } catch (error) {
      // 409: reviewed meanwhile (or this reviewer already said otherwise); the message says which.
      message.textContent = error instanceof Error ? error.message : String(error);
      if (/** @type {any} */ (error)?.status !== 409)
        for (const el of form.querySelectorAll("input, button")) el.removeAttribute("disabled");
    }
  });
  return form;
}

/**
 * @param {string} key
 * @param {ReturnType<typeof reviewItemView>} item
 * @param {(item: ReturnType<typeof reviewItemView>, outcome: string) => void} onReviewed
 */
function itemCard(key, item, onReviewed) {
  const card = h(
    "article",
    { class: "review-item", "data-item": item.id, "data-trace": item.traceId ?? "" },
    h(
      "h3",
      {},
      item.traceId ? h("a", { href: routeHref({ page: "trace", traceId: item.traceId }) }, item.traceId) : item.id,
      h(
        "span",
        { class: "dim" },
        ` — ${item.agent ?? "?"}, ${item.createdAt ? `queued ${shortTime(item.createdAt)} UTC` : "queued"}`,
      ),
    ),
    h("p", { class: "why-queued" }, h("strong", {}, item.why), item.detail ? `: ${item.detail}` : ""),
    h(
      "div",
      { class: "side-by-side" },
      traceColumn(item.trace),
      h(
        "section",
        {},
        h("h4", {}, "scores"),
        // Once graded, the final verdict's table holds every score and whether it counted.
        item.judgement.verdict === null ? scoreList(item.judgement) : finalVerdictSection(item.judgement),
      ),
    ),
    verdictForm(key, item.id, (outcome) => {
      card.remove();
      onReviewed(item, outcome);
    }),
  );
  return card;
}

/**
 * Grader names of the agents with pending items, so scores read by name, not by id.
 * @param {string} key
 * @param {any[]} items
 */
async function graderNames(key, items) {
  const agents = [...new Set(items.map((i) => i?.agent).filter((a) => typeof a === "string"))];
  const lists = await Promise.all(
    agents.map((a) => api(key, `/api/graders?agent=${enc(a)}`).catch(() => ({ graders: [] }))),
  );
  return new Map(lists.flatMap((l) => l.graders ?? []).map((/** @type {any} */ g) => [g.id, g.name]));
}

/**
 * @param {{ key: string, view: HTMLElement }} ctx
 * @param {string | null} agent
 */
export async function renderReviewPage(ctx, agent) {
  const { key, view } = ctx;
  view.replaceChildren(
    h(
      "nav",
      { class: "crumbs" },
      h("a", { href: routeHref({ page: "overview" }) }, "All agents"),
      ` / review queue${agent ? ` of ${agent}` : ""}`,
    ),
  );
  let body;
  try {
    body = await api(key, `/api/review-queue?limit=100${agent ? `&agent=${enc(agent)}` : ""}`);
  } catch (error) {
    if (error instanceof RouteMissing)
      return void view.append(
        emptyState("The review queue is not available on this server yet.", "Update the server to use this page."),
      );
    throw error;
  }
  const pendingItems = queueItems(body).filter((i) => (i?.state ?? "pending") === "pending");
  const names = await graderNames(key, pendingItems);
  const items = pendingItems.map((i) => reviewItemView(i, names));
  const heading = h("h2", {}, "");
  const outcomes = h("ul", { class: "review-outcomes", role: "status" });
  const empty = emptyState(
    "Nothing to review.",
    "Items appear when graders disagree, a judge is unsure, review sampling picks a trace, or a user queues one with POST /api/review-queue.",
  );
  let pending = items.length;
  const count = () => {
    heading.textContent = `Pending review items (${pending})`;
  };
  count();
  view.append(heading, outcomes);
  if (items.length === 0) return void view.append(empty);
  const onReviewed = (/** @type {ReturnType<typeof reviewItemView>} */ item, /** @type {string} */ outcome) => {
    pending--;
    count();
    outcomes.append(h("li", {}, `${item.traceId ?? item.id}: ${outcome}`));
    // The next item is likely reviewed by the same person: fill in the name given.
    for (const input of view.querySelectorAll("input[name=reviewer]"))
      if (input instanceof HTMLInputElement && !input.value) input.value = localStorage.getItem(REVIEWER_KEY) ?? "";
    if (pending === 0) view.append(empty);
  };
  for (const item of items) view.append(itemCard(key, item, onReviewed));
}
