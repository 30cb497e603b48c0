// @ts-check
/**
 * @module The review queue (pending items with the trace and its scores side by side, and
 * a form to record a verdict) and the iterations of an agent (improvement rate and
 * regression count per eval run, with the cases that improved, regressed or were flaky).
 * Their APIs may not be on every server yet: a missing route says so instead of failing.
 */
import { api, emptyState, enc, h, RouteMissing, textBlock } from "./dom.js";
import { evalRunView, queueItems, reviewItemView, verdictBody } from "./queue-model.js";
import { displayValue, routeHref } from "./site-model.js";
import { formatPercent, shortTime } from "./trend-model.js";

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

/** @param {any[]} cases @param {string} title */
function caseList(cases, title) {
  return h(
    "section",
    {},
    h("h3", {}, `${title} (${cases.length})`),
    cases.length === 0
      ? h("p", { class: "dim" }, "none")
      : h(
          "ul",
          {},
          cases
            .slice(0, 200)
            .map((c) =>
              h("li", {}, textBlock(typeof c === "string" ? c : displayValue(c.caseId ?? c.id ?? c), "case-id")),
            ),
        ),
  );
}

/**
 * @param {{ key: string, view: HTMLElement }} ctx
 * @param {string} agent
 */
export async function renderIterationsPage(ctx, agent) {
  const { key, view } = ctx;
  view.replaceChildren(
    h(
      "nav",
      { class: "crumbs" },
      h("a", { href: routeHref({ page: "overview" }) }, "All agents"),
      " / ",
      h("a", { href: routeHref({ page: "agent", agent }) }, agent),
      " / iterations",
    ),
  );
  let body;
  try {
    body = await api(key, `/api/agents/${enc(agent)}/iterations`);
  } catch (error) {
    if (error instanceof RouteMissing) return notYet(view, "Iterations (eval runs)");
    throw error;
  }
  const runs = (Array.isArray(body) ? body : (body?.iterations ?? body?.runs ?? [])).map(evalRunView);
  view.append(h("h2", {}, `Eval runs of ${agent}`));
  if (runs.length === 0)
    return void view.append(emptyState("No eval runs yet.", "Start one with POST /api/eval-runs."));
  view.append(
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [
            "run",
            "candidate",
            "dataset version",
            "state",
            "improvement rate",
            "regressions",
            "flaky",
            "created (UTC)",
          ].map((c) => h("th", {}, c)),
        ),
      ),
      h(
        "tbody",
        {},
        runs.map((r) =>
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: routeHref({ page: "eval-run", runId: r.id }) }, r.id)),
            h("td", {}, displayValue(r.candidate ?? "–")),
            h("td", { class: "num" }, r.datasetVersion === null ? "–" : `v${r.datasetVersion}`),
            h("td", {}, r.state),
            h("td", { class: "num" }, formatPercent(r.improvementRate)),
            h(
              "td",
              { class: r.regressionCount ? "num verdict-worse" : "num" },
              r.regressionCount === null ? "–" : String(r.regressionCount),
            ),
            h("td", { class: "num" }, r.flakyCount === null ? "–" : String(r.flakyCount)),
            h("td", {}, r.createdAt ? shortTime(r.createdAt) : "–"),
          ),
        ),
      ),
    ),
  );
}

/**
 * @param {{ key: string, view: HTMLElement }} ctx
 * @param {string} runId
 */
export async function renderEvalRunPage(ctx, runId) {
  const { key, view } = ctx;
  view.replaceChildren(
    h(
      "nav",
      { class: "crumbs" },
      h("a", { href: routeHref({ page: "overview" }) }, "All agents"),
      ` / eval run ${runId}`,
    ),
  );
  let body;
  try {
    body = await api(key, `/api/eval-runs/${enc(runId)}`);
  } catch (error) {
    if (error instanceof RouteMissing) return notYet(view, "Eval runs");
    throw error;
  }
  const r = evalRunView(body);
  view.append(
    h("h2", {}, `Eval run ${r.id}`),
    h(
      "p",
      { class: "note" },
      `Improvement rate ${formatPercent(r.improvementRate)}, ${r.regressionCount ?? "–"} regressions, on dataset version ${r.datasetVersion ?? "–"} (${r.state}).`,
    ),
    h(
      "div",
      { class: "cases" },
      caseList(r.improved, "Improved"),
      caseList(r.regressed, "Regressed"),
      caseList(r.flaky, "Flaky"),
    ),
  );
}
