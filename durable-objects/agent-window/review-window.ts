/**
 * @module A human verdict reaching what was graded: the trace's window rollup is
 * recomputed (final verdicts follow the agent's policy with the new human score), and
 * when the trace's final verdict changes the regression dataset follows: a trace now
 * failing becomes a case, a failure case a reviewer passed is removed. The dataset change
 * is keyed by the review, so a repeated call changes it once.
 */
import { loadConfig } from "../../worker/config";
import { inputFingerprint, isAlreadyAppliedError, regressionDatasetName } from "../../worker/dataset";
import { type FinalDecision, failuresBehind } from "../../worker/review/final-verdict";
import { readLiveCases } from "../../worker/storage/dataset-cases";
import { applyDatasetChange, ensureRegressionDataset } from "../../worker/storage/dataset-store";
import { createDb } from "../../worker/storage/db";
import { traceVerdictsOf } from "../../worker/storage/review-store";
import { readTrace } from "../../worker/traces/read-trace";
import { collectWindowIntoDataset } from "./collect-window";
import { recomputeRollup } from "./window-rollup";

export interface ReviewApplied {
  before: "pass" | "fail" | "none" | null;
  after: FinalDecision | null;
  datasetChange: "added" | "removed" | null;
}

export async function applyReviewToWindow(
  env: Env,
  input: { projectId: string; agent: string; traceId: string; changeKey: string },
): Promise<ReviewApplied> {
  const db = createDb(env.DB);
  const config = loadConfig(env);
  const [row] = await traceVerdictsOf(db, input.projectId, [input.traceId]);
  // Not graded yet: the human verdict is read when its window is graded.
  if (!row) return { before: null, after: null, datasetChange: null };
  const now = new Date().toISOString();
  const decisions = await recomputeRollup(db, row.windowId, now, config);
  const after = decisions.get(input.traceId) ?? null;
  if (!after || after.verdict === row.verdict) return { before: row.verdict, after, datasetChange: null };

  const trace = (await readTrace(env, db, input.projectId, input.traceId)) as Record<string, unknown>;
  if (after.verdict === "fail") {
    const reference = (trace.metadata as Record<string, unknown> | undefined)?.reference;
    await collectWindowIntoDataset(env, {
      projectId: input.projectId,
      agent: input.agent,
      windowId: input.changeKey,
      traces: [
        {
          traceId: input.traceId,
          input: trace.input,
          output: trace.output,
          verdict: "fail",
          failures: failuresBehind(after),
          ...(reference === undefined ? {} : { reference }),
          seenAt: typeof trace.endTime === "string" ? trace.endTime : now,
        },
      ],
    });
    return { before: row.verdict, after, datasetChange: "added" };
  }
  if (after.verdict === "pass" && row.verdict === "fail") {
    const dataset = await ensureRegressionDataset(db, input.projectId, input.agent, regressionDatasetName(input.agent));
    const live = await readLiveCases(db, dataset.id, {
      caseIds: [],
      fingerprints: [await inputFingerprint(trace.input)],
      allLiveCases: false,
    });
    const removed = live.filter((c) => c.failure !== null && c.sourceTraceId === input.traceId);
    if (removed.length === 0) return { before: row.verdict, after, datasetChange: null };
    try {
      await applyDatasetChange(db, {
        datasetId: dataset.id,
        plan: { changeKind: "removed", added: [], edited: [], removed },
        now,
        summary: `a reviewer passed trace ${input.traceId}, so its failure case is removed`,
        changeKey: `window:${input.changeKey}`,
      });
    } catch (error) {
      if (!isAlreadyAppliedError(error)) throw error;
    }
    return { before: row.verdict, after, datasetChange: "removed" };
  }
  return { before: row.verdict, after, datasetChange: null };
}
