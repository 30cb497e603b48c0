/**
 * @module A graded window's rollup, always recomputed from the scores stored in D1 (not
 * from what one attempt held in memory), so retries and late supersessions converge on
 * the same numbers. Traces whose scores were superseded by a later window drop out; final
 * verdicts follow the agent's review policy, with human verdicts (see worker/review).
 */
import type { Config } from "../../worker/config";
import { summariseWindow, type ScoreResult } from "../../worker/grading";
import type { FinalDecision } from "../../worker/review/final-verdict";
import { resolveWindowVerdicts } from "../../worker/review/window-verdicts";
import type { Db } from "../../worker/storage/db";
import { findWindowRow, saveRollup, windowScoreRows, type ScoreRow } from "../../worker/storage/score-store";
import { countTraceVersions } from "../../worker/storage/trace-versions";

const toResult = (r: ScoreRow): ScoreResult => ({
  graderId: r.graderId,
  graderVersion: r.graderVersion,
  verdict: r.verdict,
  score: r.score,
  reason: r.reason,
});

/** Returns each trace's final verdict (policy, human verdicts and disputes applied). */
export async function recomputeRollup(
  db: Db,
  windowId: string,
  gradedAt: string,
  config: Config,
): Promise<Map<string, FinalDecision>> {
  const window = await findWindowRow(db, windowId);
  if (!window) throw new Error(`grade window ${windowId} has no row in D1`);
  const rows = await windowScoreRows(db, windowId);
  const superseded = new Set(rows.filter((r) => r.supersededBy !== null && r.traceId !== null).map((r) => r.traceId!));
  const byTrace = new Map<string, ScoreResult[]>();
  const latencies: number[] = [];
  for (const [traceId, latency] of Object.entries(window.members)) {
    if (superseded.has(traceId)) continue;
    byTrace.set(traceId, []);
    if (latency !== null) latencies.push(latency);
  }
  const windowScores: ScoreResult[] = [];
  for (const row of rows) {
    if (row.traceId === null) windowScores.push(toResult(row));
    else if (row.supersededBy === null) byTrace.get(row.traceId)?.push(toResult(row));
  }
  const { decisions, humanScores } = await resolveWindowVerdicts(db, config, window, byTrace, gradedAt);
  for (const [traceId, human] of humanScores) byTrace.get(traceId)?.push(...human);
  const finalVerdicts = new Map([...decisions].map(([traceId, d]) => [traceId, d.verdict]));
  const summary = summariseWindow(byTrace, latencies, { minGraded: window.minGraded, finalVerdicts });
  // Which agent version(s) the window graded, so the site can mark where a new prompt starts.
  const agentVersions = await countTraceVersions(db, window.projectId, [...byTrace.keys()]);
  const insufficientReason = summary.insufficient
    ? `only ${summary.gradedCount} of ${summary.traceCount} traces got a pass or fail verdict; at least ${window.minGraded} are needed for a pass rate worth plotting`
    : null;
  await saveRollup(db, windowId, {
    gradedAt: window.gradedAt ?? gradedAt,
    traceCount: summary.traceCount,
    gradedCount: summary.gradedCount,
    passCount: summary.passCount,
    passRate: summary.passRate,
    insufficient: summary.insufficient,
    rollup: {
      ...summary,
      insufficientReason,
      minGraded: window.minGraded,
      quarantinedCount: window.quarantined,
      supersededCount: superseded.size,
      windowScores,
      agentVersions,
    },
  });
  return decisions;
}
