// @ts-check
/**
 * @module The "is it getting better" chart of the iterations page, drawn by hand like
 * `trend-charts.js`: improvement rate per eval run as a line (left axis, 0–100%) over the
 * regression count as bars (right axis). Every run has a `<title>` and printed values, so
 * the chart reads without colour or hover; the SVG carries a title and a description.
 */
import { el, svgRoot, text, title } from "./trend-charts.js";
import { bandCentre, countTicks, formatPercent, labelledWindowIndexes, linearScale } from "./trend-model.js";

const IMPROVEMENT_COLOR = "#0072b2";
const REGRESSION_COLOR = "#d55e00";

/**
 * @param {ReturnType<typeof import("./iterations-model.js").iterationView>[]} runs oldest first
 * @param {{ width?: number, height?: number }} [options]
 */
export function iterationsChart(runs, { width = 960, height = 300 } = {}) {
  const m = { top: 28, right: 56, bottom: 62, left: 56 };
  const label = "Improvement rate and regression count per eval run";
  const svg = svgRoot(width, height, label);
  const withRate = runs.filter((r) => r.improvementRate !== null);
  const best = withRate.reduce((a, r) => Math.max(a, r.improvementRate ?? 0), 0);
  const regressions = runs.reduce((sum, r) => sum + (r.regressionCount ?? 0), 0);
  const desc = el("desc");
  desc.textContent = `${runs.length} eval runs, oldest first. Improvement rate ${
    withRate.length
      ? `from ${formatPercent(withRate[0]?.improvementRate ?? null)} to ${formatPercent(withRate[withRate.length - 1]?.improvementRate ?? null)}, best ${formatPercent(best)}`
      : "unknown"
  }; ${regressions} regressions in all.`;
  svg.append(title(label), desc);

  const left = m.left;
  const right = width - m.right;
  const bottom = height - m.bottom;
  const y = linearScale([0, 1], [bottom, m.top]);
  const { max, ticks } = countTicks(Math.max(0, ...runs.map((r) => r.regressionCount ?? 0)), 4);
  const yCount = linearScale([0, max], [bottom, m.top]);
  const xOf = (/** @type {number} */ i) => bandCentre(i, runs.length, left, right);
  const barWidth = Math.min(36, ((right - left) / Math.max(1, runs.length)) * 0.5);

  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(el("line", { x1: left, x2: right, y1: y(t), y2: y(t), class: "grid-line" }));
    svg.append(text(left - 8, y(t) + 4, formatPercent(t), { "text-anchor": "end", class: "tick" }));
  }
  for (const t of ticks)
    svg.append(
      text(right + 8, yCount(t) + 4, String(t), { "text-anchor": "start", class: "tick", fill: REGRESSION_COLOR }),
    );
  const mid = (m.top + bottom) / 2;
  svg.append(
    text(14, mid, "improvement rate", {
      transform: `rotate(-90 14 ${mid})`,
      "text-anchor": "middle",
      class: "axis-label",
    }),
    text(width - 10, mid, "regressions", {
      transform: `rotate(90 ${width - 10} ${mid})`,
      "text-anchor": "middle",
      class: "axis-label",
    }),
  );

  runs.forEach((r, i) => {
    const count = r.regressionCount ?? 0;
    const cx = xOf(i);
    const tip = title(
      `${r.label}${r.version ? ` (${r.version})` : ""}, dataset v${r.datasetVersion ?? "?"}${r.accepted ? ", accepted baseline" : ""}: improvement rate ${formatPercent(r.improvementRate)}, ${r.regressionCount ?? "unknown"} regressions`,
    );
    svg.append(
      el("g", { class: "regression-bar" }, [
        tip,
        el("rect", {
          x: cx - barWidth / 2,
          y: yCount(count),
          width: barWidth,
          height: Math.max(0, bottom - yCount(count)),
          fill: REGRESSION_COLOR,
          "fill-opacity": 0.55,
        }),
      ]),
    );
    if (count > 0)
      svg.append(
        text(cx, yCount(count) - 4, `${count} reg.`, {
          "text-anchor": "middle",
          class: "tick",
          fill: REGRESSION_COLOR,
        }),
      );
  });

  // The line breaks where a run has no improvement rate (no failure cases, or still running).
  let path = "";
  runs.forEach((r, i) => {
    if (r.improvementRate === null) return;
    const prev = runs[i - 1];
    path += `${i > 0 && prev && prev.improvementRate !== null ? "L" : "M"}${xOf(i)},${y(r.improvementRate)}`;
  });
  if (path) svg.append(el("path", { d: path, fill: "none", stroke: IMPROVEMENT_COLOR, "stroke-width": 2 }));
  runs.forEach((r, i) => {
    if (r.improvementRate === null) return;
    const cx = xOf(i);
    const cy = y(r.improvementRate);
    svg.append(
      el(
        "circle",
        {
          cx,
          cy,
          r: r.accepted ? 6 : 4,
          fill: r.accepted ? "#fff" : IMPROVEMENT_COLOR,
          stroke: IMPROVEMENT_COLOR,
          "stroke-width": 2,
        },
        [
          title(
            `${r.label}: improvement rate ${formatPercent(r.improvementRate, 1)}${r.accepted ? " (accepted baseline)" : ""}`,
          ),
        ],
      ),
      text(cx, cy - 10, formatPercent(r.improvementRate), {
        "text-anchor": "middle",
        class: "tick",
        fill: IMPROVEMENT_COLOR,
      }),
    );
  });

  for (const i of labelledWindowIndexes(runs.length, right - left, 90)) {
    const r = runs[i];
    if (!r) continue;
    const name = r.label.length > 14 ? `${r.label.slice(0, 13)}…` : r.label;
    svg.append(text(xOf(i), bottom + 18, `#${i + 1} ${name}`, { "text-anchor": "middle", class: "tick" }));
    svg.append(
      text(xOf(i), bottom + 32, `v${r.datasetVersion ?? "?"}${r.accepted ? " · baseline" : ""}`, {
        "text-anchor": "middle",
        class: "tick small",
      }),
    );
  }
  svg.append(
    text((left + right) / 2, height - 6, "eval run (iteration), oldest → newest; ○ = accepted baseline", {
      "text-anchor": "middle",
      class: "axis-label",
    }),
  );
  return svg;
}
