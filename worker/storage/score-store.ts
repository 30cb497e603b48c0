/**
 * @module D1 access for scores and graded windows. Every write is idempotent: score ids
 * are derived from (window, trace, grader, version) and inserted with ON CONFLICT DO
 * NOTHING, the window row likewise, and the rollup is recomputed from the stored scores,
 * so a window graded twice (an alarm run again, a crash half way) changes nothing.
 */
import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, lte, ne, sql } from "drizzle-orm";
import type { ScoreResult } from "../grading";
import { chunkRows } from "../dataset/chunk";
import type { Db } from "./db";
import { gradeWindows, scores, traces } from "./schema";

export type ScoreRow = typeof scores.$inferSelect;
export type GradeWindowRow = typeof gradeWindows.$inferSelect;

/** Statements per db.batch call: each batch is one round trip and one transaction. */
const STATEMENTS_PER_BATCH = 50;
/** Ids per `IN (...)` list, leaving room for the statement's other parameters. */
const IDS_PER_STATEMENT = 90;
const SCORE_COLUMNS = Object.keys(scores).length;

export const scoreId = (windowId: string, traceId: string | null, graderId: string, version: number) =>
  `${windowId}|${traceId ?? "*window*"}|${graderId}|${version}`;

export interface WindowWrite {
  window: Omit<
    GradeWindowRow,
    "gradedAt" | "traceCount" | "gradedCount" | "passCount" | "passRate" | "insufficient" | "rollup"
  >;
  /** Trace-level scores by trace id, and the window-level scores. */
  traceScores: Map<string, ScoreResult[]>;
  windowScores: ScoreResult[];
  gradedAt: string;
  /** Supersede only these graders' earlier scores (a regrade of some graders); absent: every grader's. */
  supersedeOnly?: string[];
}

/**
 * Writes a window's scores, marks its traces graded and supersedes earlier scores of
 * the same traces (a re-finished trace is graded again in a later window). Window ids of
 * one agent embed a zero-padded sequence, so "earlier" is `window_id < this id`; a retry
 * of an old window therefore never supersedes a newer one. Returns the ids of earlier
 * windows whose rollups must be recomputed.
 */
export async function writeWindowScores(db: Db, w: WindowWrite): Promise<string[]> {
  const { projectId, agent, id: windowId } = w.window;
  const rows: ScoreRow[] = [];
  const toRow = (traceId: string | null, s: ScoreResult): ScoreRow => ({
    id: scoreId(windowId, traceId, s.graderId, s.graderVersion),
    projectId,
    agent,
    windowId,
    traceId,
    graderId: s.graderId,
    graderVersion: s.graderVersion,
    verdict: s.verdict,
    score: s.score,
    reason: s.reason,
    gradedAt: w.gradedAt,
    supersededBy: null,
  });
  for (const [traceId, list] of w.traceScores) for (const s of list) rows.push(toRow(traceId, s));
  for (const s of w.windowScores) rows.push(toRow(null, s));

  const traceIds = [...w.traceScores.keys()];
  const statements = [
    db.insert(gradeWindows).values(w.window).onConflictDoNothing(),
    // D1 allows 100 bound parameters per statement, so rows and id lists are chunked.
    ...chunkRows(rows, SCORE_COLUMNS).map((chunk) => db.insert(scores).values(chunk).onConflictDoNothing()),
    ...chunkIds(traceIds, IDS_PER_STATEMENT - (w.supersedeOnly?.length ?? 0)).flatMap((ids) => [
      db
        .update(scores)
        .set({ supersededBy: windowId })
        .where(
          and(
            eq(scores.projectId, projectId),
            inArray(scores.traceId, ids),
            eq(scores.agent, agent),
            lt(scores.windowId, windowId),
            isNull(scores.supersededBy),
            w.supersedeOnly ? inArray(scores.graderId, w.supersedeOnly) : undefined,
          ),
        ),
      db
        .update(traces)
        .set({ state: "graded", updatedAt: w.gradedAt })
        .where(and(eq(traces.projectId, projectId), inArray(traces.id, ids), ne(traces.state, "quarantined"))),
    ]),
  ];
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
    const batch = statements.slice(i, i + STATEMENTS_PER_BATCH);
    await db.batch(batch as [(typeof batch)[number], ...typeof batch]);
  }
  const affected = await db
    .selectDistinct({ windowId: scores.windowId })
    .from(scores)
    .where(and(eq(scores.projectId, projectId), eq(scores.supersededBy, windowId)))
    .all();
  return affected.map((r) => r.windowId);
}

function chunkIds(ids: string[], size = IDS_PER_STATEMENT): string[][] {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += size) chunks.push(ids.slice(i, i + size));
  return chunks;
}

export async function findWindowRow(db: Db, windowId: string): Promise<GradeWindowRow | undefined> {
  return db.select().from(gradeWindows).where(eq(gradeWindows.id, windowId)).get();
}

/** Every score stored for a window, superseded ones included (the caller decides what counts). */
export async function windowScoreRows(db: Db, windowId: string): Promise<ScoreRow[]> {
  return db.select().from(scores).where(eq(scores.windowId, windowId)).all();
}

export async function saveRollup(
  db: Db,
  windowId: string,
  r: {
    gradedAt: string;
    traceCount: number;
    gradedCount: number;
    passCount: number;
    passRate: number | null;
    insufficient: boolean;
    rollup: unknown;
  },
): Promise<void> {
  await db.update(gradeWindows).set(r).where(eq(gradeWindows.id, windowId));
}

/** Scores of one trace, newest window first; superseded ones say so. */
export async function traceScoreRows(db: Db, projectId: string, traceId: string): Promise<ScoreRow[]> {
  return db
    .select()
    .from(scores)
    .where(and(eq(scores.projectId, projectId), eq(scores.traceId, traceId)))
    .orderBy(sql`${scores.windowId} DESC`, asc(scores.graderId), asc(scores.graderVersion))
    .all();
}

export interface TimeRange {
  from?: string;
  to?: string;
}

export async function listWindowRows(
  db: Db,
  projectId: string,
  agent: string,
  range: TimeRange,
  limit: number,
): Promise<GradeWindowRow[]> {
  const conditions = [
    eq(gradeWindows.projectId, projectId),
    eq(gradeWindows.agent, agent),
    isNotNull(gradeWindows.rollup),
  ];
  if (range.from) conditions.push(gte(gradeWindows.closedAt, range.from));
  if (range.to) conditions.push(lte(gradeWindows.closedAt, range.to));
  return db
    .select()
    .from(gradeWindows)
    .where(and(...conditions))
    .orderBy(sql`${gradeWindows.closedAt} DESC`, sql`${gradeWindows.seq} DESC`)
    .limit(limit)
    .all();
}

export interface DistributionRow {
  graderId: string;
  graderVersion: number;
  level: "trace" | "window";
  count: number;
  pass: number;
  fail: number;
  error: number;
  skipped: number;
  meanScore: number | null;
  histogram: number[];
}

/** Counts per grader id *and* version (never mixed), over scores that still count. */
export async function scoreDistribution(
  db: Db,
  projectId: string,
  agent: string,
  range: TimeRange,
): Promise<DistributionRow[]> {
  const conditions = [eq(scores.projectId, projectId), eq(scores.agent, agent), isNull(scores.supersededBy)];
  if (range.from) conditions.push(gte(scores.gradedAt, range.from));
  if (range.to) conditions.push(lte(scores.gradedAt, range.to));
  const level = sql<"trace" | "window">`CASE WHEN ${scores.traceId} IS NULL THEN 'window' ELSE 'trace' END`;
  const bin = sql<
    number | null
  >`CASE WHEN ${scores.score} IS NULL THEN NULL ELSE min(9, max(0, CAST(${scores.score} * 10 AS INTEGER))) END`;
  const rows = await db
    .select({
      graderId: scores.graderId,
      graderVersion: scores.graderVersion,
      level,
      verdict: scores.verdict,
      bin,
      n: sql<number>`count(*)`,
      scoreSum: sql<number | null>`sum(${scores.score})`,
    })
    .from(scores)
    .where(and(...conditions))
    .groupBy(scores.graderId, scores.graderVersion, level, scores.verdict, bin)
    .all();
  const out = new Map<string, DistributionRow & { scored: number; sum: number }>();
  for (const r of rows) {
    const key = `${r.graderId}\u0000${r.graderVersion}\u0000${r.level}`;
    let d = out.get(key);
    if (!d) {
      d = {
        graderId: r.graderId,
        graderVersion: r.graderVersion,
        level: r.level,
        count: 0,
        pass: 0,
        fail: 0,
        error: 0,
        skipped: 0,
        meanScore: null,
        histogram: new Array(10).fill(0),
        scored: 0,
        sum: 0,
      };
      out.set(key, d);
    }
    d.count += r.n;
    d[r.verdict] += r.n;
    if (r.bin !== null) {
      d.histogram[r.bin]! += r.n;
      d.scored += r.n;
      d.sum += r.scoreSum ?? 0;
    }
  }
  return [...out.values()]
    .map(({ scored, sum, ...d }) => ({ ...d, meanScore: scored === 0 ? null : sum / scored }))
    .sort((a, b) => (a.graderId < b.graderId ? -1 : a.graderId > b.graderId ? 1 : a.graderVersion - b.graderVersion));
}
