// @ts-check
/**
 * @module SVG charts of the agent page beyond the pass rate, drawn by hand like
 * `trend-charts.js` (no library, works offline): window-level metric graders, latency
 * percentiles and the final verdicts per window. Every mark has a `<title>`.
 */
import { el, svgRoot, text, title } from "./trend-charts.js";
import { bandCentre, countTicks, labelledWindowIndexes, linearScale, shortTime } from "./trend-model.js";
import { formatMs } from "./site-model.js";

const VERDICT_COLORS = { pass: "#009e73", fail: "#d55e00", error: "#cc79a7", skipped: "#bbbbbb" };

/**
 * @param {SVGElement} svg
 * @param {{ seq: number, closedAt: string }[]} windows
 * @param {(i: number) => number} xOf
 * @param {number} left @param {number} right @param {number} baseline
 */
function windowAxis(svg, windows, xOf, left, right, baseline) {
  for (const i of labelledWindowIndexes(windows.length, right - left, 52)) {
    svg.append(text(xOf(i), baseline + 16, `#${windows[i]?.seq}`, { "text-anchor": "middle", class: "tick" }));
  }
}

/**
 * One row per window-level grader version (a p95 latency budget, an error-rate ceiling):
 * a square per window, filled red when it failed, with the longest failing run called out.
 * @param {ReturnType<typeof import("./site-model.js").windowMetricSeries>} series
 * @param {{ seq: number, closedAt: string }[]} windows oldest first
 */
export function windowMetricChart(series, windows, { width = 960 } = {}) {
  const rowHeight = 30;
  const m = { top: 8, right: 20, bottom: 28, left: 220 };
  const height = m.top + m.bottom + rowHeight * series.length;
  const svg = svgRoot(width, height, "Window-level graders: verdict per window");
  const left = m.left;
  const right = width - m.right;
  const count = windows.length;
  const xOf = (/** @type {number} */ i) => bandCentre(i, count, left, right);
  const size = Math.max(3, Math.min(16, ((right - left) / Math.max(1, count)) * 0.8));
  series.forEach((s, row) => {
    const cy = m.top + row * rowHeight + rowHeight / 2;
    const name = s.longestFailingRun > 1 ? `${s.label} (failed ${s.longestFailingRun} in a row)` : s.label;
    svg.append(
      text(left - 10, cy + 4, name.length > 34 ? `${name.slice(0, 33)}…` : name, {
        "text-anchor": "end",
        class: "tick",
      }),
    );
    for (const p of s.points) {
      const fill = VERDICT_COLORS[/** @type {keyof typeof VERDICT_COLORS} */ (p.verdict)] ?? "#999";
      svg.append(
        el(
          "rect",
          {
            x: xOf(p.windowIndex) - size / 2,
            y: cy - size / 2,
            width: size,
            height: size,
            fill,
            class: `metric-mark verdict-${p.verdict}`,
            "data-seq": p.seq,
          },
          [title(`${s.label} · window #${p.seq}: ${p.verdict}${p.score === null ? "" : ` (${p.score})`}\n${p.reason}`)],
        ),
      );
    }
  });
  windowAxis(svg, windows, xOf, left, right, height - m.bottom);
  return svg;
}

/**
 * p50, p95 and p99 latency per window, one line each, on a shared millisecond axis.
 * @param {ReturnType<typeof import("./site-model.js").latencySeries>} points
 */
export function latencyChart(points, { width = 960, height = 220 } = {}) {
  const m = { top: 14, right: 20, bottom: 30, left: 64 };
  const svg = svgRoot(width, height, "Latency percentiles per window");
  const left = m.left;
  const right = width - m.right;
  const values = points.flatMap((p) => [p.p50, p.p95, p.p99]).filter((v) => v !== null);
  const { max, ticks } = countTicks(Math.max(1, .../** @type {number[]} */ (values)), 4);
  const y = linearScale([0, max], [height - m.bottom, m.top]);
  const xOf = (/** @type {number} */ i) => bandCentre(i, points.length, left, right);
  for (const t of ticks) {
    svg.append(el("line", { x1: left, x2: right, y1: y(t), y2: y(t), class: "grid-line" }));
    svg.append(text(left - 8, y(t) + 4, formatMs(t), { "text-anchor": "end", class: "tick" }));
  }
  /** @type {[("p50" | "p95" | "p99"), string][]} */
  const lines = [
    ["p50", "#0072b2"],
    ["p95", "#e69f00"],
    ["p99", "#d55e00"],
  ];
  for (const [name, color] of lines) {
    let d = "";
    let pen = "M";
    for (const p of points) {
      const v = p[name];
      if (v === null) {
        pen = "M";
        continue;
      }
      d += `${pen}${xOf(p.index).toFixed(1)},${y(v).toFixed(1)}`;
      pen = "L";
      svg.append(
        el("circle", { cx: xOf(p.index), cy: y(v), r: 2.5, fill: color, class: `latency-${name}` }, [
          title(`window #${p.seq} (${shortTime(p.closedAt)} UTC): ${name} ${formatMs(v)}`),
        ]),
      );
    }
    if (d) svg.append(el("path", { d, fill: "none", stroke: color, "stroke-width": 1.5 }));
    svg.append(
      text(right - 4, m.top + 12 + lines.findIndex((l) => l[0] === name) * 14, name, {
        "text-anchor": "end",
        fill: color,
        class: "tick",
      }),
    );
  }
  windowAxis(svg, points, xOf, left, right, height - m.bottom);
  return svg;
}

/**
 * Final verdicts per window as stacked bars (pass, fail, error, skipped): the grade
 * distribution over time.
 * @param {ReturnType<typeof import("./site-model.js").verdictsOverTime>} columns
 */
export function verdictsChart(columns, { width = 960, height = 200 } = {}) {
  const m = { top: 14, right: 20, bottom: 30, left: 52 };
  const svg = svgRoot(width, height, "Final verdicts per window");
  const left = m.left;
  const right = width - m.right;
  const totals = columns.map((c) => c.pass + c.fail + c.error + c.skipped);
  const { max, ticks } = countTicks(Math.max(1, ...totals), 4);
  const y = linearScale([0, max], [height - m.bottom, m.top]);
  const band = (right - left) / Math.max(1, columns.length);
  const barWidth = Math.max(1, Math.min(28, band * 0.75));
  for (const t of ticks) {
    svg.append(el("line", { x1: left, x2: right, y1: y(t), y2: y(t), class: "grid-line" }));
    svg.append(text(left - 8, y(t) + 4, String(t), { "text-anchor": "end", class: "tick" }));
  }
  for (const c of columns) {
    const cx = bandCentre(c.index, columns.length, left, right);
    let base = 0;
    const g = el("g", { class: "verdict-bar" }, [
      title(`window #${c.seq}: ${c.pass} pass, ${c.fail} fail, ${c.error} error, ${c.skipped} skipped`),
    ]);
    for (const kind of /** @type {const} */ (["pass", "fail", "error", "skipped"])) {
      const n = c[kind];
      if (n === 0) continue;
      g.append(
        el("rect", {
          x: cx - barWidth / 2,
          y: y(base + n),
          width: barWidth,
          height: y(base) - y(base + n),
          fill: VERDICT_COLORS[kind],
        }),
      );
      base += n;
    }
    svg.append(g);
  }
  windowAxis(svg, columns, (i) => bandCentre(i, columns.length, left, right), left, right, height - m.bottom);
  return svg;
}

export { VERDICT_COLORS };
