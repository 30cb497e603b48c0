// @ts-check
/**
 * @module The trace page: input, output, the span tree with tool calls and timings, and
 * every score with its reason and grader version. Trace content is untrusted (it is
 * whatever an agent produced), so every value goes into `textContent`, never into HTML.
 */
import { api, emptyState, enc, h, textBlock } from "./dom.js";
import { displayValue, formatMs, routeHref, spanTree } from "./site-model.js";
import { shortTime } from "./trend-model.js";

/** @param {any} span */
function spanDetails(span) {
  const parts = [];
  if (span.model)
    parts.push(h("p", { class: "dim" }, `model ${span.model}${span.provider ? ` (${span.provider})` : ""}`));
  if (span.usage) parts.push(h("p", { class: "dim" }, `usage ${displayValue(span.usage).replace(/\s+/g, " ")}`));
  if (span.error) parts.push(h("p", { class: "error" }, `error: ${displayValue(span.error)}`));
  if (span.input !== undefined) parts.push(h("h4", {}, "input"), textBlock(displayValue(span.input)));
  if (span.output !== undefined) parts.push(h("h4", {}, "output"), textBlock(displayValue(span.output)));
  return parts;
}

/** @param {any} trace */
function spanSection(trace) {
  const rows = spanTree(trace.spans, trace.startTime);
  if (rows.length === 0) return emptyState("No spans.", "This trace was sent without spans.");
  const total = Math.max(1, ...rows.map((r) => (r.startMs ?? 0) + (r.durationMs ?? 0)));
  return h(
    "ol",
    { class: "span-tree" },
    rows.map((r) => {
      const left = ((r.startMs ?? 0) / total) * 100;
      const width = Math.max(0.5, ((r.durationMs ?? 0) / total) * 100);
      return h(
        "li",
        {
          class: `span span-${r.type}${r.status === "error" ? " span-error" : ""}`,
          style: `--depth:${r.depth}`,
          "data-span": r.id,
        },
        h(
          "details",
          {},
          h(
            "summary",
            {},
            h("span", { class: "span-type" }, r.type),
            " ",
            h("span", { class: "span-name" }, r.name),
            h("span", { class: "span-time" }, ` +${formatMs(r.startMs)} · ${formatMs(r.durationMs)}`),
            h(
              "span",
              { class: "span-bar", "aria-hidden": "true" },
              h("span", { style: `left:${left.toFixed(2)}%;width:${width.toFixed(2)}%` }),
            ),
          ),
          ...spanDetails(r.span),
        ),
      );
    }),
  );
}

/** @param {any[]} scores */
function scoreTable(scores) {
  if (scores.length === 0) return emptyState("No scores yet.", "The trace is scored when its window is graded.");
  return h(
    "table",
    { class: "scores" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["grader", "version", "verdict", "score", "reason", "window", "graded (UTC)"].map((c) => h("th", {}, c)),
      ),
    ),
    h(
      "tbody",
      {},
      scores.map((s) =>
        h(
          "tr",
          { class: s.superseded ? "superseded" : "" },
          h("td", {}, s.graderName ?? s.graderId),
          h("td", { class: "num" }, `v${s.graderVersion}`),
          h("td", { class: `verdict-${s.verdict}` }, s.verdict + (s.superseded ? " (superseded)" : "")),
          h("td", { class: "num" }, s.score === null || s.score === undefined ? "–" : String(s.score)),
          h("td", {}, textBlock(String(s.reason ?? ""), "reason")),
          h("td", {}, s.windowId ?? "–"),
          h("td", {}, shortTime(s.gradedAt)),
        ),
      ),
    ),
  );
}

/**
 * @param {{ key: string, view: HTMLElement }} ctx
 * @param {string} traceId
 */
export async function renderTracePage(ctx, traceId) {
  const { key, view } = ctx;
  const [trace, scoreList] = await Promise.all([
    api(key, `/api/traces/${enc(traceId)}`),
    api(key, `/api/traces/${enc(traceId)}/scores`).catch(() => ({ scores: [] })),
  ]);
  const graders = await api(key, `/api/graders?agent=${enc(trace.agent)}`).catch(() => ({ graders: [] }));
  const names = new Map(graders.graders.map((/** @type {any} */ g) => [g.id, g.name]));
  const scores = scoreList.scores.map((/** @type {any} */ s) => ({ ...s, graderName: names.get(s.graderId) ?? null }));
  const facts = [
    ["agent", trace.agent],
    ["version", trace.version ?? "–"],
    ["state", trace.state],
    ["status", trace.status],
    ["latency", formatMs(trace.latencyMs)],
    ["started (UTC)", shortTime(trace.startTime)],
    ["spans", String(Array.isArray(trace.spans) ? trace.spans.length : 0)],
  ];
  const content = [
    h(
      "nav",
      { class: "crumbs" },
      h("a", { href: routeHref({ page: "overview" }) }, "All agents"),
      " / ",
      h("a", { href: routeHref({ page: "agent", agent: trace.agent }) }, trace.agent),
      " / trace ",
      h("strong", {}, trace.id),
    ),
    h(
      "dl",
      { class: "facts" },
      facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    ),
    trace.error ? h("p", { class: "error" }, `error: ${displayValue(trace.error)}`) : null,
    h(
      "div",
      { class: "io" },
      h("section", {}, h("h2", {}, "Input"), textBlock(displayValue(trace.input), "value trace-input")),
      h("section", {}, h("h2", {}, "Output"), textBlock(displayValue(trace.output), "value trace-output")),
    ),
    h("h2", {}, "Scores"),
    scoreTable(scores),
    h("h2", {}, "Spans"),
    spanSection(trace),
    trace.metadata ? h("h2", {}, "Metadata") : null,
    trace.metadata ? textBlock(displayValue(trace.metadata)) : null,
  ];
  view.replaceChildren(...content.filter((node) => node !== null));
}
