// @ts-check
/**
 * @module The review queue (pending items with the trace and its scores side by side, and
 * a form to record a verdict). Its API may not be on every server yet: a missing route
 * says so instead of failing.
 */
import { api, emptyState, enc, h, RouteMissing, textBlock } from "./dom.js";
import { queueItems, reviewItemView, verdictBody } from "./queue-model.js";
import { displayValue, routeHref } from "./site-model.js";
import { shortTime } from "./trend-model.js";

/** @param {HTMLElement} view @param {string} what */
function notYet(view, what) {
  view.append(
    emptyState(
      `${what} is not available on this server yet.`,
      "Its API answered 404; update the server to use this page.",
    ),
  );
}

/** @param {string} key @param {any} item */
async function itemCard(key, item) {
  const view = reviewItemView(item);
  const trace = view.traceId ? await api(key, `/api/traces/${enc(view.traceId)}`).catch(() => null) : null;
  const scores = view.scores.length
    ? view.scores
    : view.traceId
      ? ((await api(key, `/api/traces/${enc(view.traceId)}/scores`).catch(() => ({ scores: [] }))).scores ?? [])
      : [];
  const message = h("p", { class: "form-message", role: "status" });
  const form = h(
    "form",
    { class: "verdict-form" },
    h("label", {}, h("input", { type: "radio", name: "verdict", value: "pass" }), " pass"),
    h("label", {}, h("input", { type: "radio", name: "verdict", value: "fail" }), " fail"),
    h("label", {}, "score ", h("input", { name: "score", inputmode: "decimal", size: 4, placeholder: "0–1" })),
    h(
      "label",
      {},
      "reviewer ",
      h("input", { name: "reviewer", required: true, value: localStorage.getItem("flywheel.reviewer") ?? "" }),
    ),
    h("label", { class: "wide" }, "note ", h("input", { name: "note" })),
    h("button", { type: "submit" }, "Record verdict"),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (form));
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
    localStorage.setItem("flywheel.reviewer", parsed.body.reviewer);
    try {
      await api(key, `/api/review-queue/${enc(view.id)}/verdict`, {
        method: "POST",
        body: JSON.stringify(parsed.body),
      });
      message.textContent = `Recorded: ${parsed.body.verdict}.`;
      for (const el of form.querySelectorAll("input, button")) el.setAttribute("disabled", "");
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : String(error);
    }
  });
  return h(
    "article",
    { class: "review-item", "data-item": view.id },
    h(
      "h3",
      {},
      view.traceId ? h("a", { href: routeHref({ page: "trace", traceId: view.traceId }) }, view.traceId) : view.id,
      h("span", { class: "dim" }, ` — ${view.reason}${view.createdAt ? `, ${shortTime(view.createdAt)} UTC` : ""}`),
    ),
    h(
      "div",
      { class: "side-by-side" },
      h(
        "section",
        {},
        h("h4", {}, "input"),
        textBlock(displayValue(trace?.input)),
        h("h4", {}, "output"),
        textBlock(displayValue(trace?.output)),
      ),
      h(
        "section",
        {},
        h("h4", {}, "scores"),
        scores.length === 0
          ? h("p", { class: "dim" }, "no scores")
          : h(
              "ul",
              {},
              scores.map((/** @type {any} */ s) =>
                h(
                  "li",
                  {},
                  h("span", { class: `verdict-${s.verdict}` }, s.verdict),
                  ` ${s.graderId} v${s.graderVersion}: `,
                  textBlock(String(s.reason ?? ""), "reason"),
                ),
              ),
            ),
      ),
    ),
    form,
  );
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
    body = await api(key, `/api/review-queue${agent ? `?agent=${enc(agent)}` : ""}`);
  } catch (error) {
    if (error instanceof RouteMissing) return notYet(view, "The review queue");
    throw error;
  }
  const items = queueItems(body).filter((i) => (i?.state ?? i?.status ?? "pending") === "pending");
  view.append(h("h2", {}, `Pending review items (${items.length})`));
  if (items.length === 0)
    return void view.append(
      emptyState("Nothing to review.", "Items appear when graders disagree or a judge is unsure."),
    );
  for (const card of await Promise.all(items.slice(0, 50).map((i) => itemCard(key, i)))) view.append(card);
}
