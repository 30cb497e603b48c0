/**
 * @module SVG drawing for the trend page, by hand (the product runs offline, so no chart
 * library or CDN). Takes the shapes `trend-model.js` builds and returns SVG elements;
 * every mark carries a `<title>` so hovering says exactly what it is.
 */
import {
  bandCentre,
  countTicks,
  dodgeOffsets,
  formatPercent,
  labelledWindowIndexes,
  linearScale,
  seriesPerWindow,
  shortTime,
} from "./trend-model.js";
import { tooFewLabelPlan, versionText } from "./site-model.js";

const SVG = "http://www.w3.org/2000/svg";

export function el(name, attrs = {}, children = []) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  for (const child of children) node.append(child);
  return node;
}

export const text = (x, y, content, attrs = {}) => {
  const node = el("text", { x, y, ...attrs });
  node.textContent = content;
  return node;
};

export const title = (content) => {
  const node = el("title");
  node.textContent = content;
  return node;
};

export function svgRoot(width, height, label) {
  return el("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width: "100%",
    role: "img",
    "aria-label": label,
    class: "chart",
    preserveAspectRatio: "xMidYMid meet",
  });
}

function pointTooltip(series, p) {
  const head = `${series.label} · window #${p.seq} (${shortTime(p.closedAt)} UTC)`;
  const rate =
    p.passRate === null
      ? "no pass or fail verdicts"
      : `pass rate ${formatPercent(p.passRate, 1)} (${p.pass} of ${p.decided})`;
  const ci = p.ci ? `, 95% Wilson interval ${formatPercent(p.ci.low)}–${formatPercent(p.ci.high)}` : "";
  const extra = p.error || p.skipped ? `; ${p.error} error, ${p.skipped} skipped` : "";
  return `${head}\n${p.insufficient ? `${p.reason}: not a trend point\n` : ""}${rate}${ci}${extra}`;
}

/**
 * Pass rate per window with Wilson 95% error bars, one series per grader version. Below
 * the axis: the agent version of each window (`agentRuns`, from `agentVersionRuns`) and
 * one "too few" label per window with too few graded traces, thinned so none overlap.
 * @param {any} trend from `buildTrend`
 * @param {{ width?: number, height?: number, agentRuns?: { label: string | null, fromIndex: number, toIndex: number }[] }} [options]
 */
export function passRateChart(trend, { width = 960, height = 380, agentRuns = [] } = {}) {
  const m = { top: 34, right: 20, bottom: 88, left: 52 };
  const svg = svgRoot(width, height, "Pass rate per window, per grader version, with 95% intervals");
  const left = m.left;
  const right = width - m.right;
  const y = linearScale([0, 1], [height - m.bottom, m.top]);
  const count = trend.windows.length;
  const xOf = (i) => bandCentre(i, count, left, right);
  const band = (right - left) / Math.max(1, count);

  const grid = el("g", { class: "grid" });
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    grid.append(el("line", { x1: left, x2: right, y1: y(t), y2: y(t) }));
    grid.append(text(left - 8, y(t) + 4, formatPercent(t), { "text-anchor": "end", class: "tick" }));
  }
  svg.append(grid);
  svg.append(
    text(14, (m.top + height - m.bottom) / 2, "pass rate", {
      transform: `rotate(-90 14 ${(m.top + height - m.bottom) / 2})`,
      "text-anchor": "middle",
      class: "axis-label",
    }),
  );

  const axis = el("g", { class: "x-axis" });
  for (const i of labelledWindowIndexes(count, right - left, 52)) {
    const w = trend.windows[i];
    axis.append(text(xOf(i), height - m.bottom + 18, `#${w.seq}`, { "text-anchor": "middle", class: "tick" }));
    axis.append(
      text(xOf(i), height - m.bottom + 32, shortTime(w.closedAt).slice(5), {
        "text-anchor": "middle",
        class: "tick small",
      }),
    );
  }
  axis.append(
    text((left + right) / 2, height - 4, "grade window (iteration), oldest → newest", {
      "text-anchor": "middle",
      class: "axis-label",
    }),
  );
  svg.append(axis);

  // A version change is a boundary, not a continuation: mark it where the new version starts.
  const changes = el("g", { class: "version-changes" });
  trend.versionChanges.forEach((change, n) => {
    const x = xOf(change.windowIndex) - band / 2;
    changes.append(
      el("line", { x1: x, x2: x, y1: m.top - 6, y2: height - m.bottom, class: "version-line" }, [
        title(`${change.label}: scores of different grader versions are separate series, never pooled`),
      ]),
    );
    changes.append(text(x + 4, m.top - 10 - (n % 2) * 12, change.label, { class: "version-label" }));
  });
  svg.append(changes);

  const perWindow = seriesPerWindow(trend);
  const offsets = perWindow.map((keys) => dodgeOffsets(keys.length, 12, band * 0.6));
  const xFor = (series, p) => xOf(p.windowIndex) + offsets[p.windowIndex][perWindow[p.windowIndex].indexOf(series.key)];

  for (const series of trend.series) {
    const g = el("g", { class: "series", "data-series": series.key });
    for (const segment of series.segments) {
      const d = segment
        .map((p, i) => `${i === 0 ? "M" : "L"}${xFor(series, p).toFixed(1)},${y(p.passRate).toFixed(1)}`)
        .join("");
      g.append(el("path", { d, fill: "none", stroke: series.color, "stroke-width": 2, class: "trend-line" }));
    }
    for (const p of series.points) {
      if (p.passRate === null) continue;
      const x = xFor(series, p);
      const mark = el("g", { class: p.insufficient ? "point insufficient" : "point" }, [
        title(pointTooltip(series, p)),
      ]);
      if (p.ci) {
        const bar = {
          stroke: series.color,
          "stroke-width": 1.5,
          "stroke-dasharray": p.insufficient ? "3 3" : null,
          opacity: p.insufficient ? 0.55 : 1,
        };
        mark.append(el("line", { x1: x, x2: x, y1: y(p.ci.low), y2: y(p.ci.high), ...bar }));
        mark.append(
          el("line", { x1: x - 4, x2: x + 4, y1: y(p.ci.low), y2: y(p.ci.low), ...bar, "stroke-dasharray": null }),
        );
        mark.append(
          el("line", { x1: x - 4, x2: x + 4, y1: y(p.ci.high), y2: y(p.ci.high), ...bar, "stroke-dasharray": null }),
        );
      }
      mark.append(
        el("circle", {
          cx: x,
          cy: y(p.passRate),
          r: 4.5,
          fill: p.insufficient ? "#fff" : series.color,
          stroke: series.color,
          "stroke-width": 2,
        }),
      );
      // A wide invisible target so the tooltip is easy to reach.
      mark.append(
        el("rect", {
          x: x - 7,
          y: y(p.ci?.high ?? p.passRate) - 4,
          width: 14,
          height: Math.abs(y(p.ci?.low ?? p.passRate) - y(p.ci?.high ?? p.passRate)) + 8,
          fill: "transparent",
        }),
      );
      g.append(mark);
    }
    svg.append(g);
  }

  // Where the agent (prompt) version changes: a strip of runs under the axis, and a dotted line.
  const versions = el("g", { class: "agent-versions" });
  const stripY = height - m.bottom + 52;
  agentRuns.forEach((run, n) => {
    const x0 = xOf(run.fromIndex) - band / 2;
    const x1 = xOf(run.toIndex) + band / 2;
    const label = `agent ${versionText(run.label)}`;
    const tip = title(`${label}: windows #${trend.windows[run.fromIndex]?.seq} to #${trend.windows[run.toIndex]?.seq}`);
    versions.append(
      el(
        "rect",
        { x: x0 + 1, y: stripY - 10, width: Math.max(1, x1 - x0 - 2), height: 14, class: `agent-run run-${n % 2}` },
        [tip],
      ),
    );
    if (x1 - x0 > label.length * 6.2) versions.append(text(x0 + 4, stripY, label, { class: "agent-run-label" }));
    if (n > 0)
      versions.append(
        el("line", { x1: x0, x2: x0, y1: m.top, y2: height - m.bottom, class: "agent-version-line" }, [
          title(`agent version changed to ${versionText(run.label)} at window #${trend.windows[run.fromIndex]?.seq}`),
        ]),
      );
  });
  svg.append(versions);

  // One "too few" per window, never one per series, thinned so labels never overlap.
  const insufficientWindows = trend.series.flatMap((s) =>
    s.points.filter((p) => p.insufficient).map((p) => p.windowIndex),
  );
  const plan = tooFewLabelPlan(insufficientWindows, xOf, 52);
  const tooFewY = height - m.bottom + 70;
  const tooFew = el("g", { class: "too-few-row" });
  for (const i of plan.labelled)
    tooFew.append(text(xOf(i), tooFewY, "too few", { "text-anchor": "middle", class: "too-few" }));
  for (const i of plan.marked)
    tooFew.append(
      el("circle", { cx: xOf(i), cy: tooFewY - 4, r: 3, class: "too-few-mark" }, [
        title(`window #${trend.windows[i]?.seq}: too few graded traces`),
      ]),
    );
  svg.append(tooFew);
  return svg;
}

/** One small histogram of scores in [0, 1] (10 bins) for one grader version of the latest window. */
export function scoreHistogram(entry, { width = 300, height = 170 } = {}) {
  const m = { top: 10, right: 10, bottom: 34, left: 34 };
  const svg = svgRoot(width, height, `Score histogram of ${entry.label}`);
  const maxCount = Math.max(0, ...entry.bins.map((b) => b.count));
  const { max, ticks } = countTicks(maxCount, 3);
  const x = linearScale([0, 1], [m.left, width - m.right]);
  const y = linearScale([0, max], [height - m.bottom, m.top]);
  for (const t of ticks) {
    svg.append(el("line", { x1: m.left, x2: width - m.right, y1: y(t), y2: y(t), class: "grid-line" }));
    svg.append(text(m.left - 5, y(t) + 4, String(t), { "text-anchor": "end", class: "tick" }));
  }
  for (const bin of entry.bins) {
    const x0 = x(bin.from) + 1;
    const w = Math.max(1, x(bin.to) - x(bin.from) - 2);
    svg.append(
      el(
        "rect",
        {
          x: x0,
          y: y(bin.count),
          width: w,
          height: Math.max(0, y(0) - y(bin.count)),
          class: "bar score",
        },
        [
          title(
            `score ${bin.from.toFixed(1)}–${bin.to.toFixed(1)}${bin.to === 1 ? " (1 included)" : ""}: ${bin.count} trace${bin.count === 1 ? "" : "s"}`,
          ),
        ],
      ),
    );
  }
  for (const t of [0, 0.5, 1])
    svg.append(text(x(t), height - m.bottom + 14, t.toFixed(1), { "text-anchor": "middle", class: "tick" }));
  svg.append(
    text((m.left + width - m.right) / 2, height - 4, "score", { "text-anchor": "middle", class: "axis-label" }),
  );
  return svg;
}

/** The regression dataset's size per version, with what each version added on top. */
export function datasetChart(sizes, { width = 960, height = 200 } = {}) {
  const m = { top: 14, right: 20, bottom: 38, left: 52 };
  const svg = svgRoot(width, height, "Regression dataset size per version");
  const { max, ticks } = countTicks(Math.max(0, ...sizes.map((s) => s.caseCount)), 4);
  const left = m.left;
  const right = width - m.right;
  const y = linearScale([0, max], [height - m.bottom, m.top]);
  const band = (right - left) / Math.max(1, sizes.length);
  const barWidth = Math.min(42, band * 0.7);
  for (const t of ticks) {
    svg.append(el("line", { x1: left, x2: right, y1: y(t), y2: y(t), class: "grid-line" }));
    svg.append(text(left - 8, y(t) + 4, String(t), { "text-anchor": "end", class: "tick" }));
  }
  svg.append(
    text(14, (m.top + height - m.bottom) / 2, "cases", {
      transform: `rotate(-90 14 ${(m.top + height - m.bottom) / 2})`,
      "text-anchor": "middle",
      class: "axis-label",
    }),
  );
  const labelled = new Set(labelledWindowIndexes(sizes.length, right - left, 36));
  sizes.forEach((s, i) => {
    const cx = bandCentre(i, sizes.length, left, right);
    const kept = Math.max(0, s.caseCount - s.addedCount);
    const tip = title(
      `version ${s.version} (${s.changeKind}, ${shortTime(s.createdAt)} UTC): ${s.caseCount} cases; +${s.addedCount} added, ${s.changedCount} changed, −${s.removedCount} removed`,
    );
    svg.append(
      el("g", { class: "dataset-bar" }, [
        tip,
        el("rect", { x: cx - barWidth / 2, y: y(kept), width: barWidth, height: y(0) - y(kept), class: "bar kept" }),
        el("rect", {
          x: cx - barWidth / 2,
          y: y(s.caseCount),
          width: barWidth,
          height: y(kept) - y(s.caseCount),
          class: "bar added",
        }),
      ]),
    );
    if (labelled.has(i))
      svg.append(text(cx, height - m.bottom + 16, `v${s.version}`, { "text-anchor": "middle", class: "tick" }));
  });
  svg.append(text((left + right) / 2, height - 4, "dataset version", { "text-anchor": "middle", class: "axis-label" }));
  return svg;
}
