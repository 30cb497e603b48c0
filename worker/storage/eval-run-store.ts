/**
 * @module D1 access for eval runs: creating one (idempotent on the client's key),
 * reading and listing them, the accepted baseline of a dataset version, and writing a
 * finished run's summary. Per-(case, repeat) results are the EvalRun object's own.
 */
import { and, asc, desc, eq, isNotNull } from "drizzle-orm";
import type { RunMetrics } from "../eval/metrics";
import type { Db } from "./db";
import { evalRuns } from "./schema";

export type EvalRunRow = typeof evalRuns.$inferSelect;
export type NewEvalRun = typeof evalRuns.$inferInsert;

export const newEvalRunId = () => `run_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;

/**
 * Inserts the run unless the project already has one with its idempotency key, and
 * returns whichever run holds the key: the unique index settles a race between retries.
 */
export async function insertEvalRun(db: Db, run: NewEvalRun): Promise<{ row: EvalRunRow; created: boolean }> {
  const inserted = await db.insert(evalRuns).values(run).onConflictDoNothing().returning().all();
  if (inserted[0]) return { row: inserted[0], created: true };
  const existing = run.idempotencyKey ? await findEvalRunByKey(db, run.projectId, run.idempotencyKey) : undefined;
  if (!existing) throw new Error(`eval run ${run.id} was neither inserted nor found by its key`);
  return { row: existing, created: false };
}

export function findEvalRun(db: Db, projectId: string, id: string): Promise<EvalRunRow | undefined> {
  return db
    .select()
    .from(evalRuns)
    .where(and(eq(evalRuns.projectId, projectId), eq(evalRuns.id, id)))
    .get();
}

export function findEvalRunByKey(db: Db, projectId: string, key: string): Promise<EvalRunRow | undefined> {
  return db
    .select()
    .from(evalRuns)
    .where(and(eq(evalRuns.projectId, projectId), eq(evalRuns.idempotencyKey, key)))
    .get();
}

/** The agent's runs, oldest first: the iterations of the trend page. */
export function listEvalRuns(db: Db, projectId: string, agent: string, limit: number): Promise<EvalRunRow[]> {
  return db
    .select()
    .from(evalRuns)
    .where(and(eq(evalRuns.projectId, projectId), eq(evalRuns.agent, agent)))
    .orderBy(asc(evalRuns.createdAt), asc(evalRuns.id))
    .limit(limit)
    .all();
}

/** The most recently accepted run of the agent on this dataset version: the default baseline. */
export function acceptedBaseline(
  db: Db,
  projectId: string,
  agent: string,
  datasetId: string,
  datasetVersion: number,
): Promise<EvalRunRow | undefined> {
  return db
    .select()
    .from(evalRuns)
    .where(
      and(
        eq(evalRuns.projectId, projectId),
        eq(evalRuns.agent, agent),
        eq(evalRuns.datasetId, datasetId),
        eq(evalRuns.datasetVersion, datasetVersion),
        isNotNull(evalRuns.acceptedAt),
      ),
    )
    .orderBy(desc(evalRuns.acceptedAt), desc(evalRuns.id))
    .get();
}

export async function acceptEvalRun(db: Db, projectId: string, id: string): Promise<EvalRunRow | undefined> {
  const [row] = await db
    .update(evalRuns)
    .set({ acceptedAt: new Date().toISOString() })
    .where(and(eq(evalRuns.projectId, projectId), eq(evalRuns.id, id)))
    .returning()
    .all();
  return row;
}

/** Writes a finished run's numbers; repeating it (an alarm retried) writes the same values. */
export async function finishEvalRun(
  db: Db,
  projectId: string,
  id: string,
  status: "completed" | "cancelled",
  metrics: RunMetrics,
): Promise<void> {
  await db
    .update(evalRuns)
    .set({
      status,
      finishedAt: new Date().toISOString(),
      improvementRate: metrics.improvementRate,
      regressionCount: metrics.regressionCount,
      flakyCount: metrics.counts.flaky,
      errorCount: metrics.counts.error,
      passRate: metrics.passRate,
      summary: metrics,
    })
    .where(and(eq(evalRuns.projectId, projectId), eq(evalRuns.id, id), eq(evalRuns.status, "running")));
}
