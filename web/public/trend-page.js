/**
 * @module The trend page: asks for the project API key (kept in localStorage), lists the
 * project's agents and, for the chosen one, fetches its graded windows, graders and
 * regression dataset, shapes them with `trend-model.js` and draws them with `trend-charts.js`.
 */
import { datasetChart, passRateChart, scoreHistogram } from "./trend-charts.js";
import {
  WINDOW_LIMIT,
  agentNames,
  buildTrend,
  datasetSizes,
  formatPercent,
  fragmentWithoutKey,
  latestDistribution,
  parseFragment,
  regressionDataset,
  seriesKey,
  shortTime,
  trendVerdict,
} from "./trend-model.js";

const KEY_STORAGE = "flywheel.apiKey";
const AGENT_STORAGE = "flywheel.agent";

const $ = (id) => document.getElementById(id);

class KeyRejected extends Error {}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

async function api(key, path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${key}` } });
  if (res.status === 401)
    throw new KeyRejected("The server did not accept this API key (missing, mistyped or revoked).");
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${body?.error?.message ?? res.statusText}`);
  return body;
}

const enc = encodeURIComponent;

function setStatus(message, isError = false) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

function rejectKey(error) {
  // A key the server refuses is not worth keeping: the next visit asks again.
  localStorage.removeItem(KEY_STORAGE);
  showKeyForm(error.message);
}

function showKeyForm(message) {
  $("project-panel").hidden = true;
  $("key-panel").hidden = false;
  $("key-error").hidden = !message;
  $("key-error").textContent = message ?? "";
  $("key-input").focus();
}

function emptyState(strong, ...rest) {
  return h("div", { class: "empty" }, h("strong", {}, strong), " ", ...rest);
}

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
  const [{ windows, ungraded }, { graders }, { datasets }] = await Promise.all([
    api(key, `/api/agents/${enc(agent)}/windows?limit=${WINDOW_LIMIT}`),
    api(key, `/api/graders?agent=${enc(agent)}`),
    api(key, `/api/datasets?agent=${enc(agent)}`),
  ]);
  const labels = await graderLabels(key, graders);
  const dataset = regressionDataset(datasets, agent);
  const versions =
    dataset && dataset.latestVersion > 0
      ? (await api(key, `/api/datasets/${enc(dataset.id)}/versions?limit=1000`)).versions
      : [];
  return { windows, ungraded, graders, labels, dataset, versions };
}

/** Finished traces no window graded, and why: sent before the agent had a grader, they never will be. */
function ungradedNotice(agent, ungraded) {
  if (!ungraded || ungraded.count === 0) return null;
  const n = `${ungraded.count} finished trace${ungraded.count === 1 ? "" : "s"}`;
  if (ungraded.reason === "no_enabled_graders") {
    return emptyState(
      `${n} not graded: this agent has no enabled grader.`,
      "Create one with ",
      h("code", {}, "POST /api/graders"),
      ", then grade the stored traces with ",
      h("code", {}, `POST /api/agents/${agent}/regrade`),
      ".",
    );
  }
  return emptyState(
    `${n} waiting for their window.`,
    "Traces sent before the agent's graders are graded with ",
    h("code", {}, `POST /api/agents/${agent}/regrade`),
    ".",
  );
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

function windowTable(trend) {
  const rows = trend.windows.slice().reverse().slice(0, 30);
  const bySeries = new Map(trend.series.map((s) => [s.key, new Map(s.points.map((p) => [p.windowIndex, p]))]));
  const labels = new Map(trend.series.map((s) => [s.key, s.label]));
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [
          "window",
          "closed (UTC)",
          "traces",
          "graded",
          "per grader version: pass rate [95% CI]",
          "p50 / p95 latency",
        ].map((c) => h("th", {}, c)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((w) =>
        h(
          "tr",
          {},
          h("td", {}, `#${w.seq}`),
          h("td", {}, shortTime(w.closedAt)),
          h("td", { class: "num" }, String(w.traceCount)),
          h("td", { class: "num" }, String(w.gradedCount)),
          h(
            "td",
            {},
            w.graderVersions.length === 0
              ? h("span", { class: "dim" }, "no grader applied")
              : w.graderVersions.map((key) => {
                  const p = bySeries.get(key)?.get(w.index);
                  if (!p) return null;
                  const value =
                    p.passRate === null
                      ? "–"
                      : `${formatPercent(p.passRate)} [${formatPercent(p.ci?.low)}–${formatPercent(p.ci?.high)}] (${p.pass}/${p.decided})`;
                  return h(
                    "div",
                    {},
                    `${labels.get(key)}: ${value}`,
                    p.insufficient ? h("span", { class: "dim" }, ` — ${p.reason}`) : null,
                  );
                }),
          ),
          h("td", { class: "num" }, w.latencyMs ? `${ms(w.latencyMs.p50)} / ${ms(w.latencyMs.p95)}` : "–"),
        ),
      ),
    ),
  );
}

const ms = (value) =>
  value === null || value === undefined
    ? "–"
    : value >= 1000
      ? `${(value / 1000).toFixed(1)} s`
      : `${Math.round(value)} ms`;

function renderAgent(agent, data) {
  const view = $("agent-view");
  view.replaceChildren();
  const trend = buildTrend(data.windows, data.labels);

  view.append(h("h2", {}, `Pass rate per window: ${agent}`));
  const notice = ungradedNotice(agent, data.ungraded);
  if (notice) view.append(notice);
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
    view.append(verdicts(trend), legend(trend), passRateChart(trend));
    view.append(
      h(
        "p",
        { class: "note" },
        "Each grader version is its own series: scores of different versions are never pooled, so editing a grader starts a new line. ",
        "Hover a point for its counts and interval.",
      ),
    );
  }

  if (trend.windows.length > 0) {
    const distribution = latestDistribution(data.windows, data.labels);
    view.append(
      h("h2", {}, `Grade distribution of the latest window (#${distribution.seq}, ${distribution.traceCount} traces)`),
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
        "Bars: cases per version; the orange top is what that version added.",
      ),
      datasetChart(sizes),
    );
  }

  if (trend.windows.length > 0) view.append(h("h2", {}, "Windows (newest first)"), windowTable(trend));
}

async function showAgent(key, agent) {
  localStorage.setItem(AGENT_STORAGE, agent);
  setStatus(`Loading ${agent}…`);
  try {
    const data = await loadAgentData(key, agent);
    renderAgent(agent, data);
    setStatus(`Updated ${new Date().toLocaleTimeString()}.`);
  } catch (error) {
    if (error instanceof KeyRejected) return rejectKey(error);
    setStatus(error.message, true);
  }
}

async function showProject(key, preferredAgent) {
  $("key-panel").hidden = true;
  $("project-panel").hidden = false;
  setStatus("Loading the project…");
  let project, graders, traces, datasets;
  try {
    [project, { graders }, { traces }, { datasets }] = await Promise.all([
      api(key, "/api/project"),
      api(key, "/api/graders"),
      api(key, "/api/traces?limit=500"),
      api(key, "/api/datasets"),
    ]);
  } catch (error) {
    if (error instanceof KeyRejected) return rejectKey(error);
    return setStatus(error.message, true);
  }
  $("project-name").textContent = `Project ${project.name ?? project.id ?? ""}`;
  const agents = agentNames({ graders, traces, datasets });
  const select = $("agent-select");
  select.replaceChildren(...agents.map((a) => h("option", { value: a }, a)));
  select.disabled = agents.length === 0;
  if (agents.length === 0) {
    setStatus("");
    $("agent-view").replaceChildren(
      emptyState(
        "No agents yet — send traces and add a grader.",
        "Send a trace with ",
        h("code", {}, "POST /api/traces"),
        " (or OTLP to ",
        h("code", {}, "/v1/traces"),
        "), then create a grader with ",
        h("code", {}, "POST /api/graders"),
        ". See the ",
        h("a", { href: "/reference/" }, "API reference"),
        ".",
      ),
    );
    return;
  }
  const withGraders = new Set(graders.map((g) => g.agent));
  const remembered = localStorage.getItem(AGENT_STORAGE);
  const agent =
    [preferredAgent, remembered].find((a) => a && agents.includes(a)) ??
    agents.find((a) => withGraders.has(a)) ??
    agents[0];
  select.value = agent;
  await showAgent(key, agent);
}

function start() {
  const fragment = parseFragment(location.hash);
  if (fragment.key) {
    localStorage.setItem(KEY_STORAGE, fragment.key);
    history.replaceState(null, "", `${location.pathname}${location.search}${fragmentWithoutKey(location.hash)}`);
  }
  const currentKey = () => localStorage.getItem(KEY_STORAGE);

  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key-input").value.trim();
    if (!key) return;
    localStorage.setItem(KEY_STORAGE, key);
    $("key-input").value = "";
    showProject(key, null);
  });
  $("forget-key").addEventListener("click", () => {
    localStorage.removeItem(KEY_STORAGE);
    localStorage.removeItem(AGENT_STORAGE);
    $("agent-view").replaceChildren();
    showKeyForm("Key forgotten: it is no longer stored in this browser.");
  });
  $("agent-select").addEventListener("change", (event) => {
    const key = currentKey();
    if (key) showAgent(key, event.target.value);
  });
  $("refresh").addEventListener("click", () => {
    const key = currentKey();
    if (key) showAgent(key, $("agent-select").value);
  });

  const key = currentKey();
  if (key) showProject(key, fragment.agent);
  else showKeyForm(null);
}

start();
