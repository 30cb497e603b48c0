/**
 * @module D1 reads for grading what arrived before a grader: how many of an agent's
 * finished traces have no current score, and the stored traces a regrade grades.
 */
import { and, asc, count, eq, gt, gte, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "./db";
import { graders, traces } from "./schema";

/** Why an agent's finished traces are not being graded; null when they are only waiting for their window. */
export type UngradedReason = "no_enabled_graders" | null;

export interface UngradedCount {
  count: number;
  reason: UngradedReason;
}

/**
 * Finished traces of the agent that no window has graded yet. With no enabled grader
 * they stay that way (a window without graders grades nothing), which is what `reason` says.
 */
export async function countUngraded(db: Db, projectId: string, agent: string): Promise<UngradedCount> {
  const [ungraded, enabled] = await db.batch([
    db
      .select({ n: count() })
      .from(traces)
      .where(and(eq(traces.projectId, projectId), eq(traces.agent, agent), eq(traces.state, "finished"))),
    db
      .select({ n: count() })
      .from(graders)
      .where(and(eq(graders.projectId, projectId), eq(graders.agent, agent), eq(graders.enabled, true))),
  ]);
  return { count: ungraded[0]?.n ?? 0, reason: (enabled[0]?.n ?? 0) === 0 ? "no_enabled_graders" : null };
}

export interface StoredTraceRef {
  traceId: string;
  r2Key: string;
  sha256: string;
  version: string | null;
}

/** When a trace happened: its start, else when it was received (OTLP traces may lack a start). */
const traceTime = sql<string>`coalesce(${traces.startTime}, ${traces.receivedAt})`;

/**
 * One page (by trace id) of the agent's readable traces (finished or graded, not
 * quarantined or still assembling) whose time lies in [from, to].
 */
export async function pageTracesToRegrade(
  db: Db,
  projectId: string,
  agent: string,
  range: { from?: string; to?: string },
  afterId: string,
  limit: number,
): Promise<StoredTraceRef[]> {
  const conditions = [
    eq(traces.projectId, projectId),
    eq(traces.agent, agent),
    inArray(traces.state, ["finished", "graded"]),
    gt(traces.id, afterId),
  ];
  if (range.from) conditions.push(gte(traceTime, range.from));
  if (range.to) conditions.push(lte(traceTime, range.to));
  return db
    .select({ traceId: traces.id, r2Key: traces.r2Key, sha256: traces.sha256, version: traces.version })
    .from(traces)
    .where(and(...conditions))
    .orderBy(asc(traces.id))
    .limit(limit)
    .all();
}
