/**
 * @module What the review routes do: list the queue with each trace and the scores so
 * far, queue a trace on a user's request, record a human verdict (idempotent per item
 * and reviewer) and hand it to the agent's window, and measure agreement. Routes stay thin.
 */
import type { Config } from "../config";
import { ApiError, notFound } from "../errors";
import type { Db } from "../storage/db";
import { agentWindow } from "../storage/durable-objects";
import { judgeResultsOfTraces } from "../storage/judge-store";
import {
  findHumanVerdict,
  findItemOfTrace,
  findReviewItem,
  graderHumanPairs,
  graderKinds,
  humanVerdictsOfTraces,
  linkedPairs,
  listGraderLinks,
  listPendingItems,
  newReviewItemId,
  queueReviewItems,
  recordHumanVerdict,
  traceVerdictsOf,
  type HumanVerdictRow,
  type ReviewItemRow,
} from "../storage/review-store";
import { traceScoreRows } from "../storage/score-store";
import { findTraceRow } from "../storage/trace-index";
import { readTrace } from "../traces/read-trace";
import { agreementOf } from "./agreement";
import { calibrationOf } from "./calibration";
import type { FinalDecision } from "./final-verdict";
import { reviewSettingsOf } from "./window-verdicts";

export const conflict = (message: string) => new ApiError(409, "conflict", message);

/** Every score of a trace still in force, judge details, human verdicts and the final verdict. */
export async function traceJudgement(db: Db, projectId: string, traceId: string) {
  const [scoreRows, humans, judged, [verdict]] = await Promise.all([
    traceScoreRows(db, projectId, traceId),
    humanVerdictsOfTraces(db, projectId, [traceId]),
    judgeResultsOfTraces(db, projectId, [traceId]),
    traceVerdictsOf(db, projectId, [traceId]),
  ]);
  const judgeById = new Map(judged.map((j) => [j.scoreId, j]));
  return {
    finalVerdict: verdict
      ? {
          ...(verdict.decision as FinalDecision),
          verdict: verdict.verdict,
          disputed: verdict.disputed,
          windowId: verdict.windowId,
        }
      : null,
    scores: scoreRows
      .filter((s) => s.supersededBy === null)
      .map((s) => {
        const j = judgeById.get(s.id);
        return {
          graderId: s.graderId,
          graderVersion: s.graderVersion,
          kind: j ? ("judge" as const) : ("grader" as const),
          verdict: s.verdict,
          score: s.score,
          reason: s.reason,
          windowId: s.windowId,
          judge: j
            ? {
                model: j.model,
                promptVersion: j.promptVersion,
                samples: j.samples,
                unstable: j.unstable,
                truncated: j.truncated,
                inputTokens: j.inputTokens,
                outputTokens: j.outputTokens,
                cost: j.cost,
                cachedCalls: j.cachedCalls,
              }
            : null,
        };
      }),
    humanScores: humans.map(humanScore),
  };
}

const humanScore = (h: HumanVerdictRow) => ({
  kind: "human" as const,
  itemId: h.itemId,
  reviewer: h.reviewer,
  verdict: h.verdict,
  score: h.score,
  note: h.note,
  createdAt: h.createdAt,
});

export async function listQueue(
  env: Env,
  db: Db,
  projectId: string,
  filter: { agent?: string; reason?: ReviewItemRow["reason"]; limit: number },
) {
  const items = await listPendingItems(db, projectId, filter);
  return Promise.all(
    items.map(async (item) => {
      const [trace, judgement] = await Promise.all([
        readTrace(env, db, projectId, item.traceId).catch(() => null),
        traceJudgement(db, projectId, item.traceId),
      ]);
      const t = trace as Record<string, unknown> | null;
      const spans =
        (t?.spans as { type?: string; name?: string; input?: unknown; output?: unknown }[] | undefined) ?? [];
      return {
        ...itemView(item),
        trace: t
          ? {
              id: item.traceId,
              input: t.input ?? null,
              output: t.output ?? null,
              toolCalls: spans
                .filter((s) => s.type === "tool")
                .map((s) => ({ name: s.name ?? "", input: s.input ?? null, output: s.output ?? null })),
            }
          : null,
        ...judgement,
      };
    }),
  );
}

export const itemView = (item: ReviewItemRow) => ({
  id: item.id,
  agent: item.agent,
  traceId: item.traceId,
  reason: item.reason,
  detail: item.detail,
  state: item.state,
  createdAt: item.createdAt,
  reviewedAt: item.reviewedAt,
});

/** Queues a trace for review on a user's request; returns the item and whether it was new. */
export async function queueTrace(db: Db, projectId: string, traceId: string, note: string | undefined) {
  const row = await findTraceRow(db, projectId, traceId);
  if (!row) throw notFound(`Trace ${traceId}`);
  const item: ReviewItemRow = {
    id: newReviewItemId(),
    projectId,
    agent: row.agent,
    traceId,
    reason: "user",
    detail: note ?? "queued by a user",
    state: "pending",
    createdAt: new Date().toISOString(),
    reviewedAt: null,
  };
  await queueReviewItems(db, [item]);
  const stored = await findItemOfTrace(db, projectId, traceId, "user");
  if (stored?.state !== "pending")
    throw conflict(
      `Trace ${traceId} was already queued by a user and reviewed; its verdict is in GET /api/traces/${traceId}/verdict.`,
    );
  return { item: stored, created: stored.id === item.id };
}

export interface VerdictBody {
  verdict: "pass" | "fail";
  score?: number;
  note?: string;
  reviewer: string;
}

export async function submitVerdict(env: Env, db: Db, projectId: string, itemId: string, body: VerdictBody) {
  const item = await findReviewItem(db, projectId, itemId);
  if (!item) throw notFound(`Review item ${itemId}`);
  const row: HumanVerdictRow = {
    itemId,
    reviewer: body.reviewer,
    projectId,
    agent: item.agent,
    traceId: item.traceId,
    verdict: body.verdict,
    score: body.score ?? null,
    note: body.note ?? null,
    createdAt: new Date().toISOString(),
  };
  const existing = await findHumanVerdict(db, itemId, body.reviewer);
  let replay = false;
  if (existing) {
    if (existing.verdict !== body.verdict) {
      throw conflict(
        `${body.reviewer} already gave item ${itemId} the verdict "${existing.verdict}"; a verdict is recorded once per reviewer.`,
      );
    }
    replay = true;
  } else if (item.state !== "pending" || !(await recordHumanVerdict(db, row))) {
    throw conflict(
      `Review item ${itemId} is no longer pending: it was reviewed, and its verdict is in GET /api/traces/${item.traceId}/verdict.`,
    );
  }
  // Applied on a replay too: a first call that recorded the verdict but failed before this point is completed now.
  const applied = await agentWindow(env, projectId, item.agent).applyReview(
    { projectId, agent: item.agent },
    item.traceId,
    `review:${itemId}`,
  );
  const saved = replay ? existing! : row;
  return {
    replay,
    body: {
      item: { ...itemView(item), state: "reviewed" as const, reviewedAt: item.reviewedAt ?? saved.createdAt },
      verdict: humanScore(saved),
      finalVerdict: applied.after
        ? {
            before: applied.before,
            verdict: applied.after.verdict,
            disputed: applied.after.disputed,
            reason: applied.after.reason,
          }
        : null,
      datasetChange: applied.datasetChange,
    },
  };
}

/** Agreement of each grader version with humans, and of each linked pair, with calibration. */
export async function agreementReport(db: Db, config: Config, projectId: string, agent: string) {
  const [settings, pairs, links] = await Promise.all([
    reviewSettingsOf(db, config, projectId, agent),
    graderHumanPairs(db, projectId, agent),
    listGraderLinks(db, projectId, agent),
  ]);
  const byVersion = new Map<string, typeof pairs>();
  for (const p of pairs) {
    const key = `${p.graderId}\u0000${p.graderVersion}`;
    byVersion.set(key, [...(byVersion.get(key) ?? []), p]);
  }
  const kinds = await graderKinds(db, projectId, [...new Set(pairs.map((p) => p.graderId))]);
  const withHumans = [...byVersion.values()].map((list) => {
    const { graderId, graderVersion } = list[0]!;
    const agreement = agreementOf(
      list.map((p): ["pass" | "fail", "pass" | "fail"] => [p.graderVerdict, p.humanVerdict]),
    );
    const isJudge = kinds.get(`${graderId}@${graderVersion}`) === "judge";
    return {
      graderId,
      graderVersion,
      kind: isJudge ? ("judge" as const) : ("grader" as const),
      ...agreement,
      calibration: isJudge ? calibrationOf(agreement, settings.calibration) : null,
    };
  });
  const linked = await Promise.all(
    links.map(async (link) => {
      const rows = await linkedPairs(db, projectId, agent, link.graderA, link.graderB);
      return {
        linkId: link.id,
        graderA: link.graderA,
        graderB: link.graderB,
        criterion: link.criterion,
        ...agreementOf(rows.map((r): ["pass" | "fail", "pass" | "fail"] => [r.a, r.b])),
      };
    }),
  );
  return { agent, calibration: settings.calibration, withHumans, linkedPairs: linked };
}
