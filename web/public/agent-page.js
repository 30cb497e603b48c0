// @ts-check
/**
 * @module The agent page: pass rate per window per grader version (a version change starts
 * a new series, never pooled), window-level metric graders, the agent version of each
 * window and where it changed, final verdicts and latency percentiles over time, the
 * regression dataset and the latest traces. Data from the windows API (window rollups),
 * shaped by `trend-model.js` and `site-model.js`.
 */
import { failureModes, traceTable, windowTable } from "./agent-tables.js";
import { api, emptyState, enc, h } from "./dom.js";
import { agentReviewSections } from "./review-panels.js";
import { latencyChart, verdictsChart, windowMetricChart } from "./site-charts.js";
import {
  agentVersionRuns,
  latencySeries,
  routeHref,
  verdictsOverTime,
  versionText,
  windowMetricSeries,
} from "./site-model.js";
import { datasetChart, passRateChart, scoreHistogram } from "./trend-charts.js";
import {
  WINDOW_LIMIT,
  buildTrend,
  datasetSizes,
  formatPercent,
  graderLabel,
  latestDistribution,
  orderWindows,
  regressionDataset,
  seriesKey,
  trendVerdict,
} from "./trend-model.js";

/** Names of every version of the agent's graders, so a series is labelled with the name its version had. */
async function graderLabels(key, graders) {
  const graderNames = new Map(graders.map((g) => [g.id, g.name]));
  const versionNames = new Map();
  const lists = await Promise.all(
    graders.map((g) => api(key, `/api/graders/${enc(g.id)}/versions`).catch(() => ({ versions: [] }))),
  );
  for (const { versions } of lists)
    for (const v of versions) versionNames.set(seriesKey(v.graderId, v.version), v.name);
  return { graderNames, versionNames };
}

async function loadAgentData(key, agent) {
  const [windowList, { graders }, { datasets }, { traces }] = await Promise.all([
    api(key, `/api/agents/${enc(agent)}/windows?limit=${WINDOW_LIMIT}`),
    api(key, `/api/graders?agent=${enc(agent)}`),
    api(key, `/api/datasets?agent=${enc(agent)}`),
    api(key, `/api/traces?agent=${enc(agent)}&limit=20`),
  ]);
  const { windows } = windowList;
  const labels = await graderLabels(key, graders);
  const dataset = regressionDataset(datasets, agent);
  const versions =
    dataset && dataset.latestVersion > 0
      ? (await api(key, `/api/datasets/${enc(dataset.id)}/versions?limit=1000`)).versions
      : [];
  return { windows, ungraded: windowList.ungraded ?? null, graders, labels, dataset, versions, traces };
}

function legend(trend) {
  return h(
    "ul",
    { class: "legend" },
    trend.series.map((s) =>
      h(
        "li",
        {},
        h("span", { class: "swatch", style: `background:${s.color}` }),
        s.label,
        s.firstWindowIndex > 0
          ? h("span", { class: "key" }, ` (from window #${trend.windows[s.firstWindowIndex].seq})`)
          : null,
      ),
    ),
    h("li", { class: "key" }, "● pass rate, bar = 95% Wilson interval"),
    h(
      "li",
      { class: "key" },
      h("span", { class: "swatch hollow" }),
      "too few graded traces: not a trend point, the line breaks there",
    ),
    trend.versionChanges.length ? h("li", { class: "key" }, "┆ grader version change: a new series") : null,
  );
}

function verdicts(trend) {
  // Only the current version of each grader speaks for "now"; older versions are history.
  const latestPerGrader = new Map();
  for (const s of trend.series) latestPerGrader.set(s.graderId, s);
  return h(
    "ul",
    { class: "verdicts" },
    [...latestPerGrader.values()].map((s) => {
      const v = trendVerdict(s);
      return h(
        "li",
        {},
        h("span", {
          class: `swatch`,
          style: `display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;background:${s.color}`,
        }),
        `${s.label}: `,
        h("span", { class: `verdict-${v.kind}` }, v.text),
      );
    }),
  );
}

function histograms(distribution) {
  if (!distribution || distribution.graders.length === 0)
    return emptyState("No scores in the latest window.", "No grader applied to its traces.");
  return h(
    "div",
    { class: "histograms" },
    distribution.graders.map((g) => {
      const v = g.verdicts;
      return h(
        "div",
        { class: "histogram" },
        h("h3", {}, g.label),
        h(
          "p",
          {},
          `${v.pass} pass · ${v.fail} fail · ${v.error} error · ${v.skipped} skipped`,
          g.passRate === null
            ? ""
            : ` · ${formatPercent(g.passRate)} [${formatPercent(g.ci?.low)}–${formatPercent(g.ci?.high)}]`,
        ),
        g.insufficient ? h("p", { class: "dim" }, "too few graded traces for a pass rate worth trusting") : null,
        g.scored > 0 ? scoreHistogram(g) : h("p", { class: "dim" }, "no numeric scores"),
      );
    }),
  );
}

/** @param {any[]} ordered oldest first @param {any} labels */
function windowMetrics(ordered, labels) {
  const series = windowMetricSeries(ordered, (id, v) => graderLabel(id, v, labels));
  if (series.length === 0)
    return emptyState(
      "No window-level graders.",
      "A metric grader scoped to the window (for example a p95 latency budget) scores each window as a whole.",
    );
  return h(
    "div",
    {},
    h(
      "ul",
      { class: "verdicts" },
      series.map((s) =>
        h(
          "li",
          { class: "metric-summary" },
          `${s.label}: `,
          s.failing === 0
            ? h("span", { class: "verdict-better" }, `passed all ${s.points.length} windows`)
            : h(
                "span",
                { class: "verdict-worse" },
                `failed ${s.failing} of ${s.points.length} windows` +
                  (s.currentFailingRun > 0 ? `, including the last ${s.currentFailingRun}` : ""),
              ),
          s.points.length > 0
            ? h("span", { class: "dim" }, ` — latest: ${s.points[s.points.length - 1]?.reason}`)
            : null,
        ),
      ),
    ),
    windowMetricChart(series, ordered),
  );
}

/** @param {{ count: number, reason: string | null } | null} ungraded */
function ungradedNote(ungraded) {
  if (!ungraded?.count) return null;
  const why =
    ungraded.reason === "no_enabled_graders"
      ? "no enabled grader: add or enable one with POST /api/graders"
      : (ungraded.reason ?? "waiting for the open window to close");
  return h("p", { class: "notice" }, `${ungraded.count} trace${ungraded.count === 1 ? "" : "s"} not graded: ${why}.`);
}

/**
 * Fetches and draws the agent page into `view`.
 * @param {{ key: string, view: HTMLElement, setStatus: (message: string, isError?: boolean) => void }} ctx
 * @param {string} agent
 */
export async function renderAgentPage(ctx, agent) {
  const { key, view } = ctx;
  const data = await loadAgentData(key, agent);
  const trend = buildTrend(data.windows, data.labels);
  const ordered = orderWindows(data.windows);
  view.replaceChildren(
    h(
      "nav",
      { class: "crumbs" },
      h("a", { href: routeHref({ page: "overview" }) }, "All agents"),
      " / ",
      h("strong", {}, agent),
      " · ",
      h("a", { href: routeHref({ page: "review", agent }) }, "review queue"),
      " · ",
      h("a", { href: routeHref({ page: "iterations", agent }) }, "iterations"),
      data.dataset ? " · " : null,
      data.dataset
        ? h("a", { href: routeHref({ page: "dataset", dataset: data.dataset.id, from: null, to: null }) }, "dataset")
        : null,
    ),
  );
  view.append(h("h2", {}, `Pass rate per window: ${agent}`));
  const waiting = ungradedNote(data.ungraded);
  if (waiting) view.append(waiting);
  if (trend.windows.length === 0) {
    view.append(
      emptyState(
        "No graded windows yet — send traces and add a grader.",
        data.graders.length === 0
          ? h("span", {}, "This agent has no grader: create one with ", h("code", {}, "POST /api/graders"), ". ")
          : h("span", {}, `${data.graders.length} grader${data.graders.length === 1 ? "" : "s"} ready. `),
        "A window is graded when it holds its ",
        h("code", {}, "maxTraces"),
        " traces or its oldest trace reaches ",
        h("code", {}, "maxAgeMs"),
        " (",
        h("code", {}, "POST /api/agents/{agent}/window/close"),
        " grades it now).",
      ),
    );
  } else if (trend.series.length === 0) {
    view.append(
      emptyState(
        `${trend.windows.length} window${trend.windows.length === 1 ? "" : "s"} graded, but no grader scored any trace.`,
        data.graders.length === 0
          ? "Add a grader with POST /api/graders; windows closing after that are scored."
          : "Check the graders' filters and that they are enabled.",
      ),
    );
  } else {
    const agentRuns = agentVersionRuns(ordered);
    view.append(verdicts(trend), legend(trend), passRateChart(trend, { agentRuns }));
    const changes = agentRuns.slice(1);
    view.append(
      h(
        "p",
        { class: "note" },
        "Each grader version is its own series: scores of different versions are never pooled, so editing a grader starts a new line. ",
        "The strip under the axis is the agent version each window graded",
        changes.length
          ? `; it changed at ${changes.map((r) => `#${r.fromSeq} (to ${versionText(r.label)})`).join(", ")}. `
          : ". ",
        "Hover a point for its counts and interval.",
      ),
    );
  }

  if (trend.windows.length > 0) {
    view.append(h("h2", {}, "Window-level graders"), windowMetrics(ordered, data.labels));
    view.append(
      h("h2", {}, "Final verdicts per window"),
      h("p", { class: "note" }, "Green pass, orange fail, pink grader error, grey skipped (no grader applied)."),
      verdictsChart(verdictsOverTime(ordered)),
    );
    view.append(h("h2", {}, "Latency percentiles per window"), latencyChart(latencySeries(ordered)));
    const distribution = latestDistribution(data.windows, data.labels);
    if (distribution)
      view.append(
        h(
          "h2",
          {},
          `Grade distribution of the latest window (#${distribution.seq}, ${distribution.traceCount} traces)`,
        ),
        histograms(distribution),
      );
  }

  view.append(h("h2", {}, "Regression dataset"));
  const sizes = datasetSizes(data.versions);
  if (!data.dataset || sizes.length === 0) {
    view.append(
      emptyState(
        "No regression cases yet.",
        "Failing traces of graded windows become cases of ",
        h("code", {}, `agent:${agent}`),
        "; each change makes a new version.",
      ),
    );
  } else {
    view.append(
      h(
        "p",
        { class: "note" },
        `${data.dataset.name}: ${data.dataset.caseCount} cases in version ${data.dataset.latestVersion}. `,
        "Bars: cases per version; the orange top is what that version added. ",
        h(
          "a",
          { href: routeHref({ page: "dataset", dataset: data.dataset.id, from: null, to: null }) },
          "Open the dataset",
        ),
        ".",
      ),
      datasetChart(sizes),
    );
  }

  view.append(...(await agentReviewSections(key, agent, data.graders)));
  view.append(h("h2", {}, "Failure modes"), await failureModes(key, agent));
  view.append(h("h2", {}, "Latest traces"), traceTable(data.traces));
  if (trend.windows.length > 0) view.append(h("h2", {}, "Windows (newest first)"), windowTable(trend, ordered));
}
