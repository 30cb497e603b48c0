// @ts-check
/**
 * @module The site's pure data shaping beyond the pass-rate trend (no DOM, no fetch):
 * hash routes, the agent versions of windows, window-level metric graders, latency and
 * grade distribution over time, "too few" label placement, the span tree of a trace and
 * the overview's small shapes. Tested by `site-model.test.js`.
 */

/**
 * @typedef {{ page: "overview" } | { page: "agent", agent: string } | { page: "trace", traceId: string }
 *   | { page: "dataset", dataset: string, from: number | null, to: number | null }
 *   | { page: "review", agent: string | null } | { page: "iterations", agent: string }
 *   | { page: "eval-run", runId: string } | { page: "not-found", path: string }} Route
 */

/**
 * The page a URL fragment names: `#/`, `#/agent/<name>`, `#/trace/<id>`,
 * `#/dataset/<id>?from=1&to=3`, `#/review?agent=`, `#/iterations/<agent>`, `#/eval-run/<id>`.
 * The key never appears in a route, so every page can be shared as a link.
 * @param {string | null | undefined} hash
 * @returns {Route}
 */
export function parseRoute(hash) {
  const raw = String(hash ?? "").replace(/^#\/?/, "");
  const [pathPart = "", queryPart = ""] = raw.split("?", 2);
  const segments = pathPart.split("/").filter((s) => s !== "");
  const query = new URLSearchParams(queryPart);
  const [head, ...rest] = segments;
  const tail = rest.map(safeDecode).join("/");
  if (!head) return { page: "overview" };
  if (head === "agent" && tail) return { page: "agent", agent: tail };
  if (head === "trace" && tail) return { page: "trace", traceId: tail };
  if (head === "dataset" && tail)
    return { page: "dataset", dataset: tail, from: positiveInt(query.get("from")), to: positiveInt(query.get("to")) };
  if (head === "review") return { page: "review", agent: query.get("agent") || null };
  if (head === "iterations" && tail) return { page: "iterations", agent: tail };
  if (head === "eval-run" && tail) return { page: "eval-run", runId: tail };
  return { page: "not-found", path: raw };
}

/**
 * The fragment of a route; the inverse of `parseRoute`.
 * @param {Route} route
 */
export function routeHref(route) {
  const e = encodeURIComponent;
  switch (route.page) {
    case "overview":
      return "#/";
    case "agent":
      return `#/agent/${e(route.agent)}`;
    case "trace":
      return `#/trace/${e(route.traceId)}`;
    case "dataset": {
      const q = new URLSearchParams();
      if (route.from) q.set("from", String(route.from));
      if (route.to) q.set("to", String(route.to));
      const qs = q.toString();
      return `#/dataset/${e(route.dataset)}${qs ? `?${qs}` : ""}`;
    }
    case "review":
      return route.agent ? `#/review?agent=${e(route.agent)}` : "#/review";
    case "iterations":
      return `#/iterations/${e(route.agent)}`;
    case "eval-run":
      return `#/eval-run/${e(route.runId)}`;
    default:
      return "#/";
  }
}

/**
 * Links from before the router (`#key=fw_...&agent=support-bot`) still work: the key is
 * taken out of the address and the agent becomes its page.
 * @param {string | null | undefined} hash
 * @returns {{ key: string | null, route: string | null }}
 */
export function legacyFragment(hash) {
  const raw = String(hash ?? "").replace(/^#/, "");
  if (raw.startsWith("/") || !/(^|&)(key|agent)=/.test(raw)) return { key: null, route: null };
  const params = new URLSearchParams(raw);
  const key = params.get("key")?.trim() || null;
  const agent = params.get("agent")?.trim() || null;
  return { key, route: agent ? routeHref({ page: "agent", agent }) : "#/" };
}

/** @param {string} s */
function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** @param {string | null} value */
function positiveInt(value) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * @typedef {{ id?: string, seq: number, closedAt: string, rollup: any }} ApiWindow
 * A window as `GET /api/agents/{agent}/windows` returns it.
 */

/**
 * The agent version a window graded: its most common label (`""` is "no version"), and
 * every label with its count. Windows graded before versions were rolled up say `null`.
 * @param {ApiWindow} window
 * @returns {{ label: string | null, mixed: boolean, counts: Record<string, number> }}
 */
export function windowAgentVersion(window) {
  const counts = window?.rollup?.agentVersions;
  if (!counts || typeof counts !== "object") return { label: null, mixed: false, counts: {} };
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { label: entries[0]?.[0] ?? null, mixed: entries.length > 1, counts };
}

/**
 * Runs of consecutive windows (oldest first) with the same agent version: where a new
 * prompt or agent version started is the first window of each run after the first.
 * @param {ApiWindow[]} ordered oldest first
 * @returns {{ label: string | null, fromIndex: number, toIndex: number, fromSeq: number }[]}
 */
export function agentVersionRuns(ordered) {
  /** @type {{ label: string | null, fromIndex: number, toIndex: number, fromSeq: number }[]} */
  const runs = [];
  ordered.forEach((w, index) => {
    const { label } = windowAgentVersion(w);
    const last = runs[runs.length - 1];
    if (last && last.label === label) last.toIndex = index;
    else runs.push({ label, fromIndex: index, toIndex: index, fromSeq: w.seq });
  });
  return runs;
}

/** @param {string | null} label */
export const versionText = (label) => (label === null ? "unknown" : label === "" ? "(no version)" : label);

/**
 * Window-level graders (e.g. a p95 latency budget), one series per grader id and version:
 * each window's verdict, score and reason, and the longest run of failing windows. These
 * scores belong to the window, not to a trace, so they never enter the pass rate.
 * @param {ApiWindow[]} ordered oldest first
 * @param {(graderId: string, version: number) => string} label
 */
export function windowMetricSeries(ordered, label) {
  /** @type {Map<string, { key: string, graderId: string, graderVersion: number, label: string, points: { windowIndex: number, seq: number, verdict: string, score: number | null, reason: string }[], failing: number, longestFailingRun: number, currentFailingRun: number }>} */
  const bySeries = new Map();
  ordered.forEach((w, windowIndex) => {
    const scores = Array.isArray(w.rollup?.windowScores) ? w.rollup.windowScores : [];
    for (const s of scores) {
      const key = `${s.graderId}@v${s.graderVersion}`;
      let series = bySeries.get(key);
      if (!series) {
        series = {
          key,
          graderId: s.graderId,
          graderVersion: s.graderVersion,
          label: label(s.graderId, s.graderVersion),
          points: [],
          failing: 0,
          longestFailingRun: 0,
          currentFailingRun: 0,
        };
        bySeries.set(key, series);
      }
      series.points.push({
        windowIndex,
        seq: w.seq,
        verdict: String(s.verdict),
        score: typeof s.score === "number" ? s.score : null,
        reason: String(s.reason ?? ""),
      });
    }
  });
  for (const series of bySeries.values()) {
    let run = 0;
    for (const p of series.points) {
      if (p.verdict === "fail") {
        series.failing++;
        run++;
        series.longestFailingRun = Math.max(series.longestFailingRun, run);
      } else run = 0;
    }
    series.currentFailingRun = run;
  }
  return [...bySeries.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * Latency percentiles per window (oldest first); null where a window had no latencies.
 * @param {ApiWindow[]} ordered
 */
export function latencySeries(ordered) {
  return ordered.map((w, index) => {
    const l = w.rollup?.latencyMs ?? {};
    const num = (/** @type {unknown} */ v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
    return { index, seq: w.seq, closedAt: w.closedAt, p50: num(l.p50), p95: num(l.p95), p99: num(l.p99) };
  });
}

/**
 * Final verdicts per window (oldest first): pass, fail, error and skipped traces, for a
 * stacked bar of the grade distribution over time.
 * @param {ApiWindow[]} ordered
 */
export function verdictsOverTime(ordered) {
  return ordered.map((w, index) => {
    const r = w.rollup ?? {};
    const n = (/** @type {unknown} */ v) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
    return {
      index,
      seq: w.seq,
      closedAt: w.closedAt,
      pass: n(r.passCount),
      fail: n(r.failCount),
      error: n(r.errorCount),
      skipped: n(r.skippedCount),
    };
  });
}

/**
 * Which windows with too few graded traces get a written "too few" label and which only a
 * mark, so labels never overlap: one label per window (not per series), and a window is
 * labelled only when it sits at least `minGap` px from the last labelled one.
 * @param {number[]} windowIndexes windows holding an insufficient point, any order
 * @param {(index: number) => number} xOf the window's x centre
 * @param {number} minGap
 */
export function tooFewLabelPlan(windowIndexes, xOf, minGap = 48) {
  const sorted = [...new Set(windowIndexes)].sort((a, b) => a - b);
  /** @type {number[]} */
  const labelled = [];
  /** @type {number[]} */
  const marked = [];
  let lastX = Number.NEGATIVE_INFINITY;
  for (const i of sorted) {
    if (xOf(i) - lastX >= minGap) {
      labelled.push(i);
      lastX = xOf(i);
    } else marked.push(i);
  }
  return { labelled, marked };
}

/**
 * @typedef {{ id: string, parentId: string | null, name: string, type: string, status: string,
 *   startMs: number | null, durationMs: number | null, depth: number, span: any }} SpanRow
 */

/**
 * The spans of a trace as an indented tree in start order, each with its start offset from
 * the trace's start and its duration. Spans whose parent is missing are shown at the top.
 * @param {any[]} spans
 * @param {string | null | undefined} traceStart
 * @returns {SpanRow[]}
 */
export function spanTree(spans, traceStart) {
  const list = Array.isArray(spans) ? spans.filter((s) => s && typeof s.id === "string") : [];
  const ids = new Set(list.map((s) => s.id));
  /** @type {Map<string | null, any[]>} */
  const children = new Map();
  for (const s of list) {
    const parent = s.parentId && ids.has(s.parentId) && s.parentId !== s.id ? s.parentId : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)?.push(s);
  }
  const time = (/** @type {unknown} */ v) => (typeof v === "string" ? Date.parse(v) : Number.NaN);
  const spanStarts = list.map((s) => time(s.startTime)).filter(Number.isFinite);
  const zero = Number.isFinite(time(traceStart)) ? time(traceStart) : spanStarts.length ? Math.min(...spanStarts) : 0;
  const byStart = (/** @type {any} */ a, /** @type {any} */ b) =>
    (time(a.startTime) || 0) - (time(b.startTime) || 0) || (a.id < b.id ? -1 : 1);
  /** @type {SpanRow[]} */
  const rows = [];
  const seen = new Set();
  /** @param {string | null} parent @param {number} depth */
  const walk = (parent, depth) => {
    for (const s of (children.get(parent) ?? []).sort(byStart)) {
      if (seen.has(s.id)) continue;
      seen.add(s.id);
      rows.push({ ...spanRowOf(s, zero, time), depth });
      walk(s.id, depth + 1);
    }
  };
  walk(null, 0);
  // A cycle of parents never reaches the root; show those spans rather than lose them.
  for (const s of list) if (!seen.has(s.id)) rows.push({ ...spanRowOf(s, zero, time), depth: 0 });
  return rows;
}

/** @param {any} s @param {number} zero @param {(v: unknown) => number} time */
function spanRowOf(s, zero, time) {
  const start = time(s.startTime);
  const end = time(s.endTime);
  return {
    id: s.id,
    parentId: s.parentId ?? null,
    name: String(s.name ?? s.id),
    type: String(s.type ?? "step"),
    status: String(s.status ?? "ok"),
    startMs: Number.isFinite(start) ? start - zero : null,
    durationMs: Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : null,
    depth: 0,
    span: s,
  };
}

/**
 * Any JSON value as text to show: strings as they are, everything else pretty-printed.
 * Callers put the result in `textContent`, never in HTML.
 * @param {unknown} value
 */
export function displayValue(value) {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * "850 ms", "1.5 s"; null → "–".
 * @param {number | null | undefined} value
 */
export function formatMs(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

/**
 * Why an overview's traces wait, in words.
 * @param {{ count: number, reason: string | null }} ungraded
 */
export function ungradedText(ungraded) {
  if (!ungraded || ungraded.count === 0) return "none waiting";
  const n = `${ungraded.count} waiting`;
  if (ungraded.reason === "no_enabled_graders") return `${n}: no enabled grader (add one with POST /api/graders)`;
  if (ungraded.reason === "window_open") return `${n}: in the open window, graded when it closes`;
  return ungraded.reason ? `${n}: ${ungraded.reason}` : n;
}
