// @ts-check
/**
 * @module The iterations of an agent (improvement rate and regression count per eval run,
 * with the cases that improved, regressed or were flaky). Their API may not be on every
 * server yet: a missing route says so instead of failing. The review queue is in
 * `review-page.js`.
 */
import { api, emptyState, enc, h, RouteMissing, textBlock } from "./dom.js";
import { evalRunView } from "./queue-model.js";
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
