// @ts-check
/**
 * @module The iterations of an agent (its eval runs in order: candidate, dataset version,
 * improvement rate, regressions, flaky cases, pass rate with its interval, which run is the
 * accepted baseline, and a chart of the trend) and one eval run (`#/eval-run/<id>`: progress,
 * metrics, and the cases that improved, regressed, were flaky or errored, each with its
 * input, expected answer and the reasons of the graders that failed it). Everything from the
 * API is rendered as text, never as markup.
 */
import { api, emptyState, enc, h, RouteMissing, textBlock } from "./dom.js";
import { iterationsChart } from "./iterations-chart.js";
import { caseDrillDown, evalRunView, iterationsView, progressText, rateWithInterval } from "./iterations-model.js";
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

const dash = (/** @type {number | null} */ v) => (v === null ? "–" : String(v));

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
  const runs = iterationsView(body);
  view.append(h("h2", {}, `Eval runs of ${agent}`));
  if (runs.length === 0)
    return void view.append(emptyState("No eval runs yet.", "Start one with POST /api/eval-runs or `flywheel eval`."));
  const baseline = runs.filter((r) => r.accepted).pop();
  view.append(
    h(
      "p",
      { class: "note" },
      baseline
        ? `Accepted baseline: ${baseline.label} (${baseline.id}) on dataset version ${dash(baseline.datasetVersion)}. Regressions of later runs on that version are counted against it.`
        : "No run is accepted yet: runs compare against the dataset (guard cases pass, failure cases fail).",
    ),
    h("figure", { class: "iterations-chart" }, iterationsChart(runs)),
    h(
      "table",
      { class: "iterations" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [
            "#",
            "run",
            "candidate",
            "version",
            "dataset version",
            "status",
            "improvement rate",
            "regressions",
            "flaky",
            "errored",
            "pass rate [95% CI]",
            "created (UTC)",
          ].map((c) => h("th", {}, c)),
        ),
      ),
      h(
        "tbody",
        {},
        runs.map((r, i) =>
          h(
            "tr",
            { class: r.accepted ? "accepted" : "" },
            h("td", { class: "num" }, String(i + 1)),
            h("td", {}, h("a", { href: routeHref({ page: "eval-run", runId: r.id }) }, r.id)),
            h("td", {}, r.label, r.accepted ? h("strong", { class: "baseline-badge" }, " (accepted baseline)") : null),
            h("td", {}, r.version ?? "–"),
            h("td", { class: "num" }, r.datasetVersion === null ? "–" : `v${r.datasetVersion}`),
            h("td", {}, r.status),
            h("td", { class: "num improvement-rate" }, formatPercent(r.improvementRate, 1)),
            h("td", { class: r.regressionCount ? "num verdict-worse" : "num" }, dash(r.regressionCount)),
            h("td", { class: "num" }, dash(r.flakyCount)),
            h("td", { class: "num" }, dash(r.errorCount)),
            h("td", { class: "num" }, rateWithInterval(r.passRate, r.passRateCI)),
            h("td", {}, r.createdAt ? shortTime(r.createdAt) : "–"),
          ),
        ),
      ),
    ),
  );
}

/** The dataset version's cases by id; the page still shows outcomes when they cannot be read. */
async function datasetCases(
  /** @type {string} */ key,
  /** @type {string | null} */ datasetId,
  /** @type {number | null} */ version,
) {
  /** @type {Map<string, any>} */
  const byId = new Map();
  if (!datasetId || version === null) return byId;
  let cursor = "";
  // Paged by case id; a regression dataset can be long, so stop after a bounded number of pages.
  for (let page = 0; page < 20; page++) {
    const body = await api(
      key,
      `/api/datasets/${enc(datasetId)}/versions/${version}/cases?limit=500${cursor ? `&cursor=${enc(cursor)}` : ""}`,
    ).catch(() => null);
    for (const c of Array.isArray(body?.cases) ? body.cases : []) byId.set(String(c.id), c);
    if (!body?.nextCursor) break;
    cursor = String(body.nextCursor);
  }
  return byId;
}

/** @param {string} heading @param {string} hint @param {ReturnType<typeof caseDrillDown>} cases */
function caseSection(heading, hint, cases) {
  const slug = heading.toLowerCase();
  return h(
    "section",
    { class: `case-list ${slug}`, "data-list": slug },
    h("h3", {}, `${heading} (${cases.length})`),
    h("p", { class: "dim" }, hint),
    cases.length === 0
      ? h("p", { class: "dim" }, "none")
      : h(
          "ul",
          {},
          cases.slice(0, 200).map((c) =>
            h(
              "li",
              { class: "case", "data-case": c.caseId },
              h(
                "p",
                {},
                h("code", { class: "case-id" }, c.caseId),
                ` ${c.guard ? "guard case" : "failure case"}; now ${c.outcome}, baseline ${c.baseline}; repeats ${c.repeats.join(", ") || "–"}`,
              ),
              h(
                "dl",
                {},
                h("dt", {}, "input"),
                h("dd", {}, textBlock(c.input === undefined ? "(not in the dataset version)" : displayValue(c.input))),
                h("dt", {}, "expected"),
                h(
                  "dd",
                  {},
                  textBlock(
                    c.expected === undefined || c.expected === null ? "(no reference)" : displayValue(c.expected),
                  ),
                ),
                h("dt", {}, "candidate's answer"),
                c.answers.length === 0
                  ? h("dd", { class: "dim" }, "none: the candidate gave no answer (an error or a timeout)")
                  : h(
                      "dd",
                      { class: "answers" },
                      c.answers.map((a) =>
                        h(
                          "div",
                          { class: "answer" },
                          c.repeats.length > 1 ? h("span", { class: "dim" }, `repeat ${a.repeats.join(", ")}: `) : null,
                          textBlock(displayValue(a.output)),
                        ),
                      ),
                    ),
                h("dt", {}, "failing grader reasons"),
                h(
                  "dd",
                  {},
                  c.reasons.length === 0
                    ? h("span", { class: "dim" }, "none: every grader passed it")
                    : h(
                        "ul",
                        { class: "reasons" },
                        c.reasons.map((r) => h("li", {}, textBlock(r))),
                      ),
                ),
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
    body = await api(key, `/api/eval-runs/${enc(runId)}?results=true`);
  } catch (error) {
    if (error instanceof RouteMissing) return notYet(view, "Eval runs");
    throw error;
  }
  const r = evalRunView(body);
  const agent = typeof body?.agent === "string" ? body.agent : null;
  if (agent)
    view.firstElementChild?.replaceChildren(
      h("a", { href: routeHref({ page: "overview" }) }, "All agents"),
      " / ",
      h("a", { href: routeHref({ page: "agent", agent }) }, agent),
      " / ",
      h("a", { href: routeHref({ page: "iterations", agent }) }, "iterations"),
      ` / ${r.id}`,
    );
  const cases = await datasetCases(key, r.datasetId, r.datasetVersion);
  const drill = (/** @type {string[]} */ ids) => caseDrillDown(ids, body, cases);
  const rows = [
    ["progress", progressText(r)],
    ["candidate", `${r.label}${r.version ? ` (${r.version})` : ""}`],
    [
      "dataset",
      `${r.datasetId ?? "–"} v${dash(r.datasetVersion)}: ${dash(r.failureCaseCount)} failure cases, ${dash(r.guardCaseCount)} guard cases`,
    ],
    ["baseline", r.baselineRunId ?? "the dataset (guard cases pass, failure cases fail)"],
    [
      "improvement rate",
      `${rateWithInterval(r.improvementRate, r.improvementRateCI)}${r.failureCaseCount ? ` (${r.fixed.length}/${r.failureCaseCount} failure cases pass)` : ""}`,
    ],
    ["regressions", dash(r.regressionCount)],
    ["flaky", dash(r.flakyCount)],
    ["errored", dash(r.errorCount)],
    ["pass rate", rateWithInterval(r.passRate, r.passRateCI)],
  ];
  view.append(
    h("h2", {}, `Eval run ${r.id}`),
    h(
      "table",
      { class: "run-metrics" },
      h(
        "tbody",
        {},
        rows.map(([name, value]) => h("tr", { "data-metric": name }, h("th", {}, name), h("td", {}, value))),
      ),
    ),
    h(
      "div",
      { class: "cases" },
      caseSection("Regressed", "Passed in the baseline, fail now (guard cases included).", drill(r.lists.regressed)),
      caseSection("Improved", "Did not pass in the baseline, pass now.", drill(r.lists.improved)),
      caseSection("Flaky", "Some repeats pass and some fail: not counted either way.", drill(r.lists.flaky)),
      caseSection("Errored", "The candidate or a grader errored: never a pass.", drill(r.lists.errored)),
    ),
  );
}
