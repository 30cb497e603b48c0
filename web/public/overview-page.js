// @ts-check
/**
 * @module The overview: every agent of the project with its traces per day, current final
 * pass rate and interval, trend marker, traces waiting for grading (and why), open review
 * items and quarantined traces. One call to `GET /api/agents` (answered from rollups), plus
 * the review queue when the server has it.
 */
import { api, emptyState, h, RouteMissing } from "./dom.js";
import { openItemsByAgent } from "./queue-model.js";
import { routeHref, ungradedText } from "./site-model.js";
import { el, svgRoot, title } from "./trend-charts.js";
import { formatPercent } from "./trend-model.js";

/** @param {{ day: string, traces: number }[]} days */
function sparkline(days) {
  const width = 140;
  const height = 28;
  const svg = svgRoot(width, height, "Traces per day");
  svg.setAttribute("width", String(width));
  svg.classList.add("sparkline");
  const max = Math.max(1, ...days.map((d) => d.traces));
  const band = width / Math.max(1, days.length);
  days.forEach((d, i) => {
    const barHeight = d.traces === 0 ? 1 : Math.max(2, (d.traces / max) * (height - 2));
    svg.append(
      el(
        "rect",
        {
          x: i * band + 1,
          y: height - barHeight,
          width: Math.max(1, band - 2),
          height: barHeight,
          class: d.traces ? "bar kept" : "bar empty",
        },
        [title(`${d.day}: ${d.traces} trace${d.traces === 1 ? "" : "s"}`)],
      ),
    );
  });
  return svg;
}

const TREND_SYMBOLS = { better: "▲ better", worse: "▼ worse", steady: "● steady", unknown: "○ not enough data" };

/**
 * @param {{ key: string, view: HTMLElement }} ctx
 */
export async function renderOverviewPage(ctx) {
  const { key, view } = ctx;
  const [{ agents }, review] = await Promise.all([
    api(key, "/api/agents"),
    api(key, "/api/review-queue?limit=100").then(
      (body) => ({ available: true, counts: openItemsByAgent(body) }),
      (error) => {
        if (error instanceof RouteMissing) return { available: false, counts: new Map() };
        throw error;
      },
    ),
  ]);
  view.replaceChildren(h("h2", {}, "Agents"));
  if (agents.length === 0) {
    view.append(
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
  const header = [
    "agent",
    "traces per day (14 days)",
    "final pass rate [95% CI]",
    "trend",
    "not graded yet",
    "open review items",
    "quarantined",
  ];
  view.append(
    h(
      "table",
      { class: "overview" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          header.map((c) => h("th", {}, c)),
        ),
      ),
      h(
        "tbody",
        {},
        /** @type {any[]} */ (agents).map((a) => {
          const rate = a.passRate
            ? `${formatPercent(a.passRate.value)} [${formatPercent(a.passRate.ci?.low)}–${formatPercent(a.passRate.ci?.high)}]`
            : "–";
          const reviewCount = review.available ? String(review.counts.get(a.agent) ?? 0) : "–";
          return h(
            "tr",
            { "data-agent": a.agent },
            h("td", {}, h("a", { href: routeHref({ page: "agent", agent: a.agent }) }, a.agent)),
            h("td", {}, sparkline(a.tracesPerDay), h("span", { class: "dim" }, ` ${a.totalTraces} total`)),
            h(
              "td",
              { class: "num pass-rate" },
              rate,
              a.passRate ? h("span", { class: "dim" }, ` (window #${a.passRate.windowSeq})`) : null,
            ),
            h(
              "td",
              { class: `trend verdict-${a.trend.kind === "steady" ? "flat" : a.trend.kind}`, title: a.trend.text },
              TREND_SYMBOLS[/** @type {keyof typeof TREND_SYMBOLS} */ (a.trend.kind)] ?? a.trend.kind,
            ),
            h(
              "td",
              { class: "ungraded" },
              ungradedText(a.ungraded),
              a.ungraded.assembling
                ? h("span", { class: "dim" }, ` (+${a.ungraded.assembling} still receiving spans)`)
                : null,
            ),
            h(
              "td",
              { class: "num" },
              review.available
                ? h("a", { href: routeHref({ page: "review", agent: a.agent }) }, reviewCount)
                : reviewCount,
            ),
            h("td", { class: a.quarantined ? "num verdict-worse" : "num" }, String(a.quarantined)),
          );
        }),
      ),
    ),
  );
  view.append(
    h(
      "p",
      { class: "note" },
      "Final pass rate: the newest window with enough graded traces. Trend: better or worse only when the 95% intervals of the oldest and newest of the last windows do not overlap.",
      review.available ? "" : " Open review items: this server has no review queue yet.",
    ),
  );
}
