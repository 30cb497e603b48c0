// @ts-check
/**
 * @module Pure shaping of the review queue API for the site, kept apart so
 * the pages adapt to those responses in one place. Reads defensively: fields that are
 * missing are shown as unknown, never guessed.
 */
import { judgementView } from "./review-model.js";

/**
 * Items of a `GET /api/review-queue` answer, whatever it calls the list.
 * @param {any} body
 * @returns {any[]}
 */
export function queueItems(body) {
  const list = Array.isArray(body) ? body : (body?.items ?? body?.queue ?? body?.reviewItems ?? []);
  return Array.isArray(list) ? list : [];
}

/**
 * Open (pending) review items per agent.
 * @param {any} body
 */
export function openItemsByAgent(body) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const item of queueItems(body)) {
    const state = item?.state ?? item?.status ?? "pending";
    if (state !== "pending" && state !== "open") continue;
    const agent = typeof item?.agent === "string" ? item.agent : "";
    counts.set(agent, (counts.get(agent) ?? 0) + 1);
  }
  return counts;
}

/**
 * One pending entry of `GET /api/review-queue` as the page shows it: why it was queued,
 * the trace (null when it cannot be read), and the scores so far.
 * @param {any} item
 * @param {Map<string, string>} [names] grader names by id
 */
export function reviewItemView(item, names) {
  const trace = item?.trace && typeof item.trace === "object" ? item.trace : null;
  return {
    id: String(item?.id ?? ""),
    agent: typeof item?.agent === "string" ? item.agent : null,
    traceId: typeof item?.traceId === "string" ? item.traceId : null,
    reason: String(item?.reason ?? "unknown"),
    why: REASON_TEXT[item?.reason] ?? "queued",
    detail: typeof item?.detail === "string" ? item.detail : "",
    createdAt: typeof item?.createdAt === "string" ? item.createdAt : null,
    trace: trace
      ? {
          input: trace.input,
          output: trace.output,
          toolCalls: (Array.isArray(trace.toolCalls) ? trace.toolCalls : []).map((t) => ({
            name: String(t?.name ?? ""),
            input: t?.input,
            output: t?.output,
          })),
        }
      : null,
    judgement: judgementView(item, names),
  };
}

/** What each queue reason means to a reviewer. */
const REASON_TEXT = /** @type {Record<string, string>} */ ({
  disputed: "disputed: graders, judge samples, or a judge and a human disagree",
  sampled: "sampled for review",
  user: "queued by a user",
});

/**
 * The body of `POST /api/review-queue/{itemId}/verdict`, or an error message saying what to fix.
 * @param {{ verdict: string, score: string, note: string, reviewer: string }} form
 * @returns {{ body: { verdict: string, score?: number, note?: string, reviewer: string } } | { error: string }}
 */
export function verdictBody(form) {
  if (form.verdict !== "pass" && form.verdict !== "fail") return { error: "Choose pass or fail." };
  const reviewer = form.reviewer.trim();
  if (!reviewer) return { error: "Say who you are (reviewer)." };
  /** @type {{ verdict: string, score?: number, note?: string, reviewer: string }} */
  const body = { verdict: form.verdict, reviewer };
  if (form.score.trim() !== "") {
    const score = Number(form.score);
    if (!Number.isFinite(score) || score < 0 || score > 1) return { error: "Score must be a number from 0 to 1." };
    body.score = score;
  }
  if (form.note.trim()) body.note = form.note.trim();
  return { body };
}
