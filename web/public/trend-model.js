/**
 * @module The trend page's data shaping, pure (no DOM, no fetch): graded windows become
 * one pass-rate series per grader id *and* version (never pooled: invariant 6), windows with
 * too few graded traces are marked as such rather than plotted as trend points (invariant 7),
 * plus the scales, histogram and dataset shapes the drawing module needs.
 */

/** Windows asked for per page load; the windows API allows up to 500. */
export const WINDOW_LIMIT = 200;

/** Distinct series colours (colour-blind-safe Okabe–Ito order, black left out). */
export const SERIES_COLORS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7a5195", "#8c6d31"];

/** Graded windows in time order (oldest first); the API lists them newest first. Ungraded rows are left out. */
export function orderWindows(windows) {
  return windows
    .filter((w) => w && w.gradedAt !== null && w.rollup && typeof w.rollup === "object")
    .slice()
    .sort((a, b) => (a.closedAt < b.closedAt ? -1 : a.closedAt > b.closedAt ? 1 : a.seq - b.seq));
}

/** The grader id under which human verdicts are scored (worker/review/window-verdicts.ts). */
export const HUMAN_GRADER_ID = "human";

export function seriesKey(graderId, graderVersion) {
  return `${graderId}@v${graderVersion}`;
}

/**
 * "name · v2". `versionNames` maps `seriesKey` to the name that version had, `graderNames`
 * maps a grader id to its current name; the id stands in when neither is known.
 */
export function graderLabel(graderId, graderVersion, { versionNames = new Map(), graderNames = new Map() } = {}) {
  // Reviewers' verdicts are scores of the grader "human", version 0: there is no version to name.
  if (graderId === HUMAN_GRADER_ID && graderVersion === 0) return "human reviewers";
  const name = versionNames.get(seriesKey(graderId, graderVersion)) ?? graderNames.get(graderId) ?? graderId;
  return `${name} · v${graderVersion}`;
}

/** Why a grader version's pass rate in one window is not a trend point. */
export function insufficientReason(decided, minGraded) {
  if (decided === 0) return "too few graded traces: no pass or fail verdicts in this window";
  return `too few graded traces: ${decided} pass/fail verdict${decided === 1 ? "" : "s"}, at least ${minGraded} needed`;
}

/**
 * One series per grader id and version, points in window order. A new version of a grader
 * starts a new series (and a `versionChanges` entry) instead of continuing the old line.
 * @param windows as `GET /api/agents/{agent}/windows` returns them (any order)
 * @param labels `{versionNames, graderNames}` for `graderLabel`
 */
export function buildTrend(windows, labels = {}) {
  const ordered = orderWindows(windows);
  const bySeries = new Map();
  const columns = ordered.map((w, index) => {
    const rollup = w.rollup;
    const minGraded = Number.isFinite(rollup.minGraded) ? rollup.minGraded : null;
    for (const g of Array.isArray(rollup.perGraderVersion) ? rollup.perGraderVersion : []) {
      const key = seriesKey(g.graderId, g.graderVersion);
      let series = bySeries.get(key);
      if (!series) {
        series = {
          key,
          graderId: g.graderId,
          graderVersion: g.graderVersion,
          label: graderLabel(g.graderId, g.graderVersion, labels),
          points: [],
        };
        bySeries.set(key, series);
      }
      const decided = (g.pass ?? 0) + (g.fail ?? 0);
      const insufficient = g.insufficient === true || g.passRate === null || decided === 0;
      series.points.push({
        windowIndex: index,
        windowId: w.id,
        seq: w.seq,
        closedAt: w.closedAt,
        passRate: g.passRate,
        ci: g.ci ?? null,
        pass: g.pass ?? 0,
        fail: g.fail ?? 0,
        error: g.error ?? 0,
        skipped: g.skipped ?? 0,
        decided,
        insufficient,
        reason: insufficient ? insufficientReason(decided, minGraded ?? "more") : null,
      });
    }
    return {
      index,
      id: w.id,
      seq: w.seq,
      closedAt: w.closedAt,
      traceCount: rollup.traceCount ?? w.traceCount ?? 0,
      gradedCount: rollup.gradedCount ?? w.gradedCount ?? 0,
      passRate: rollup.passRate ?? null,
      insufficient: rollup.insufficient === true,
      insufficientReason: rollup.insufficientReason ?? null,
      minGraded,
      latencyMs: rollup.latencyMs ?? null,
      graderVersions: (rollup.perGraderVersion ?? []).map((g) => seriesKey(g.graderId, g.graderVersion)),
    };
  });
  // Series of one grader stay together, oldest version first, so the legend reads as a history.
  const firstSeen = new Map();
  for (const s of bySeries.values()) {
    const start = s.points[0].windowIndex;
    if (!firstSeen.has(s.graderId) || start < firstSeen.get(s.graderId)) firstSeen.set(s.graderId, start);
  }
  const series = [...bySeries.values()].sort((a, b) =>
    a.graderId === b.graderId
      ? a.graderVersion - b.graderVersion
      : firstSeen.get(a.graderId) - firstSeen.get(b.graderId) || (a.graderId < b.graderId ? -1 : 1),
  );
  series.forEach((s, i) => {
    s.color = SERIES_COLORS[i % SERIES_COLORS.length];
    s.firstWindowIndex = s.points[0].windowIndex;
    s.segments = trendSegments(s.points);
  });
  return { windows: columns, series, versionChanges: versionChanges(series, columns, labels) };
}

/**
 * Runs of consecutive sufficient points to join with a line. An insufficient window breaks
 * the line: joining through it would draw a trend the data cannot support.
 */
export function trendSegments(points) {
  const segments = [];
  let run = [];
  for (const p of points) {
    if (p.insufficient || p.passRate === null) {
      if (run.length > 1) segments.push(run);
      run = [];
    } else {
      run.push(p);
    }
  }
  if (run.length > 1) segments.push(run);
  return segments;
}

/** Where a grader's version changed: the first window its newer version graded. */
export function versionChanges(series, columns, labels = {}) {
  const byGrader = new Map();
  for (const s of series) {
    if (!byGrader.has(s.graderId)) byGrader.set(s.graderId, []);
    byGrader.get(s.graderId).push(s);
  }
  const changes = [];
  for (const list of byGrader.values()) {
    list.sort((a, b) => a.graderVersion - b.graderVersion);
    for (let i = 1; i < list.length; i++) {
      const from = list[i - 1];
      const to = list[i];
      const column = columns[to.firstWindowIndex];
      changes.push({
        graderId: to.graderId,
        fromVersion: from.graderVersion,
        toVersion: to.graderVersion,
        windowIndex: to.firstWindowIndex,
        seq: column?.seq ?? null,
        label: `${graderLabel(to.graderId, to.graderVersion, labels).replace(/ · v\d+$/, "")}: v${from.graderVersion} → v${to.graderVersion}`,
      });
    }
  }
  return changes.sort((a, b) => a.windowIndex - b.windowIndex);
}

/**
 * Is the agent getting better by this grader version? Compares its first and last sufficient
 * windows; only non-overlapping Wilson intervals count as a change, anything else is noise.
 */
export function trendVerdict(series) {
  const solid = series.points.filter((p) => !p.insufficient && p.passRate !== null && p.ci);
  if (solid.length === 0) return { kind: "unknown", text: "no window with enough graded traces yet" };
  const first = solid[0];
  const last = solid[solid.length - 1];
  if (solid.length === 1) {
    return {
      kind: "single",
      first,
      last,
      text: `${formatPercent(last.passRate)} in window #${last.seq}; one window is not a trend yet`,
    };
  }
  const delta = last.passRate - first.passRate;
  const points = `${delta >= 0 ? "+" : "−"}${Math.abs(Math.round(delta * 100))} pts`;
  const span = `${formatPercent(first.passRate)} (#${first.seq}) → ${formatPercent(last.passRate)} (#${last.seq}), ${points}`;
  if (last.ci.low > first.ci.high)
    return { kind: "better", first, last, delta, text: `better: ${span}; the 95% intervals do not overlap` };
  if (last.ci.high < first.ci.low)
    return { kind: "worse", first, last, delta, text: `worse: ${span}; the 95% intervals do not overlap` };
  return { kind: "flat", first, last, delta, text: `no clear change: ${span}; the 95% intervals overlap` };
}

/** `0.8333` → "83%"; null → "–". */
export function formatPercent(rate, digits = 0) {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "–";
  return `${(rate * 100).toFixed(digits)}%`;
}

/** A linear map from `domain` onto `range`; a zero-width domain maps to the middle of the range. */
export function linearScale([d0, d1], [r0, r1]) {
  const span = d1 - d0;
  return (value) => (span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0));
}

/**
 * The x centre of window `index` of `count`, each window one equal band of [left, right];
 * one window sits in the middle.
 */
export function bandCentre(index, count, left, right) {
  const band = (right - left) / Math.max(1, count);
  return left + band * (index + 0.5);
}

/**
 * Horizontal offsets for `n` markers sharing one window, so their error bars stay apart:
 * centred on 0, `step` apart, squeezed to fit within `maxSpread`.
 */
export function dodgeOffsets(n, step, maxSpread) {
  if (n <= 1) return [0];
  const gap = Math.min(step, maxSpread / (n - 1));
  return Array.from({ length: n }, (_, i) => (i - (n - 1) / 2) * gap);
}

/** Series drawn at each window, in series order, to dodge markers that share a window. */
export function seriesPerWindow(trend) {
  const perWindow = trend.windows.map(() => []);
  for (const s of trend.series) for (const p of s.points) perWindow[p.windowIndex].push(s.key);
  return perWindow;
}

/** A round upper bound for counts (1, 2, 5, 10, 20, 50, …) and ticks up to it. */
export function countTicks(maxCount, wanted = 4) {
  const max = Math.max(1, maxCount);
  const rough = max / wanted;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const stepWhole = Math.max(1, Math.round(step));
  const top = Math.ceil(max / stepWhole) * stepWhole;
  const ticks = [];
  for (let t = 0; t <= top; t += stepWhole) ticks.push(t);
  return { max: top, ticks };
}

/**
 * Window labels thinned so they do not collide: every window's label when they fit,
 * otherwise every k-th, always keeping the last.
 */
export function labelledWindowIndexes(count, width, minGap = 44) {
  if (count === 0) return [];
  const every = Math.max(1, Math.ceil((minGap * count) / Math.max(1, width)));
  const out = [];
  for (let i = 0; i < count; i += every) out.push(i);
  if (out[out.length - 1] !== count - 1) {
    if (out.length > 1 && count - 1 - out[out.length - 1] < every / 2) out.pop();
    out.push(count - 1);
  }
  return out;
}

/**
 * The latest window's grade distribution, one entry per grader version: verdict counts and
 * the score histogram (10 bins over [0, 1]) with its bin edges.
 */
export function latestDistribution(windows, labels = {}) {
  const ordered = orderWindows(windows);
  const latest = ordered[ordered.length - 1];
  if (!latest) return null;
  const graders = (latest.rollup.perGraderVersion ?? []).map((g) => {
    const counts = Array.isArray(g.scoreHistogram) ? g.scoreHistogram : [];
    const binCount = counts.length || 10;
    return {
      key: seriesKey(g.graderId, g.graderVersion),
      label: graderLabel(g.graderId, g.graderVersion, labels),
      verdicts: { pass: g.pass ?? 0, fail: g.fail ?? 0, error: g.error ?? 0, skipped: g.skipped ?? 0 },
      passRate: g.passRate ?? null,
      ci: g.ci ?? null,
      insufficient: g.insufficient === true || g.passRate === null,
      meanScore: g.meanScore ?? null,
      scored: counts.reduce((n, c) => n + c, 0),
      bins: counts.map((count, i) => ({ from: i / binCount, to: (i + 1) / binCount, count })),
    };
  });
  return {
    windowId: latest.id,
    seq: latest.seq,
    closedAt: latest.closedAt,
    traceCount: latest.rollup.traceCount ?? 0,
    graders,
  };
}

/** The regression dataset of `agent` among `GET /api/datasets` results, or null. */
export function regressionDataset(datasets, agent) {
  return datasets.find((d) => d.kind === "regression" && d.agent === agent) ?? null;
}

/** Dataset versions oldest first, as bars: size, and how many cases each change added and removed. */
export function datasetSizes(versions) {
  return versions
    .slice()
    .sort((a, b) => a.version - b.version)
    .map((v) => ({
      version: v.version,
      caseCount: v.caseCount,
      addedCount: v.addedCount ?? 0,
      removedCount: v.removedCount ?? 0,
      changedCount: v.changedCount ?? 0,
      changeKind: v.changeKind,
      createdAt: v.createdAt,
    }));
}

/** "2026-11-26 10:04" in UTC, short enough for an axis. */
export function shortTime(iso) {
  if (typeof iso !== "string" || iso.length < 16) return "";
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}
