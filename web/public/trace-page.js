// @ts-check
/**
 * @module The trace page: input, output, the span tree with tool calls and timings, the
 * final verdict with which scores counted, and every score with its reason and grader
 * version (a judge's with its model, prompt version, samples, tokens and cost). Trace
 * content is untrusted (it is whatever an agent produced), so every value goes into
 * `textContent`, never into HTML.
 */
import { api, emptyState, enc, h, textBlock } from "./dom.js";
import { finalVerdictSection } from "./review-panels.js";
import { judgementView } from "./review-model.js";
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
          h(
            "td",
            {},
            textBlock(String(s.reason ?? ""), "reason"),
            s.judge ? h("p", { class: "dim judge-detail" }, s.judge) : null,
          ),
          h("td", {}, s.windowId ?? "–"),
          h("td", {}, shortTime(s.gradedAt)),
        ),
      ),
    ),
  );
}

/**
 * Human verdicts already given, and a button to queue the trace for review.
 * @param {string} key
 * @param {string} traceId
 * @param {ReturnType<typeof judgementView>} judgement
 */
function reviewControl(key, traceId, judgement) {
  const message = h("span", { class: "form-message", role: "status" });
  const button = h("button", { type: "button", class: "secondary" }, "Queue for review");
  button.addEventListener("click", async () => {
    button.setAttribute("disabled", "");
    try {
      const item = await api(key, "/api/review-queue", { method: "POST", body: JSON.stringify({ traceId }) });
      message.replaceChildren(
        ` Queued (${item.id}): `,
        h("a", { href: routeHref({ page: "review", agent: item.agent }) }, "open the review queue"),
        ".",
      );
    } catch (error) {
      message.textContent = ` ${error instanceof Error ? error.message : String(error)}`;
    }
  });
  return h(
    "div",
    { class: "review-control" },
    judgement.humans.length
      ? h(
          "p",
          {},
          `Reviewed by ${judgement.humans.map((r) => `${r.reviewer} (${r.verdict}${r.note ? `: ${r.note}` : ""})`).join(", ")}.`,
        )
      : null,
    h("p", {}, button, message),
  );
}

/**
 * @param {{ key: string, view: HTMLElement }} ctx
 * @param {string} traceId
 */
export async function renderTracePage(ctx, traceId) {
  const { key, view } = ctx;
  const [trace, scoreList, verdictBody] = await Promise.all([
    api(key, `/api/traces/${enc(traceId)}`),
    api(key, `/api/traces/${enc(traceId)}/scores`).catch(() => ({ scores: [] })),
    // 404 until the trace is graded (or on a server without the review API): no verdict to show.
    api(key, `/api/traces/${enc(traceId)}/verdict`).catch(() => null),
  ]);
  const graders = await api(key, `/api/graders?agent=${enc(trace.agent)}`).catch(() => ({ graders: [] }));
  const names = new Map(graders.graders.map((/** @type {any} */ g) => [g.id, g.name]));
  const judgement = judgementView(verdictBody, names);
  const judgeOf = new Map(judgement.scores.map((s) => [`${s.graderId}@${s.graderVersion}`, s.judge]));
  const scores = scoreList.scores.map((/** @type {any} */ s) => ({
    ...s,
    graderName: names.get(s.graderId) ?? null,
    judge: s.superseded ? null : (judgeOf.get(`${s.graderId}@${s.graderVersion}`) ?? null),
  }));
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
    h("h2", {}, "Final verdict"),
    finalVerdictSection(judgement),
    reviewControl(key, trace.id, judgement),
    h("h2", {}, "Scores"),
    scoreTable(scores),
    h("h2", {}, "Spans"),
    spanSection(trace),
    trace.metadata ? h("h2", {}, "Metadata") : null,
    trace.metadata ? textBlock(displayValue(trace.metadata)) : null,
  ];
  view.replaceChildren(...content.filter((node) => node !== null));
}
