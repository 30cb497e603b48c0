/**
 * @module D1 access for the trace index: idempotent inserts from the TraceShard,
 * lookups and filtered, cursor-paged listing for the API, and state changes.
 */
import { and, desc, eq, gte, lt, lte, or, sql } from "drizzle-orm";
import { chunkForD1, type Db } from "./db";
import { traces } from "./schema";

export type TraceRow = typeof traces.$inferSelect;
export type TraceState = "assembling" | "finished" | "graded" | "quarantined";

const TRACE_COLUMNS = Object.keys(traces).length;

/** Inserts rows, leaving rows that already exist untouched: re-delivery is harmless. */
export async function insertTraceRows(db: Db, rows: TraceRow[]): Promise<void> {
  if (rows.length === 0) return;
  const statements = chunkForD1(rows, TRACE_COLUMNS).map((chunk) =>
    db.insert(traces).values(chunk).onConflictDoNothing(),
  );
  await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
}

/**
 * Inserts or updates rows that change over a trace's life (OTLP: assembling, then a
 * finished revision, reopened by a late span). Re-delivering the same revision keeps a
 * `graded` or `quarantined` state; a new revision (other SHA-256) replaces the row.
 */
export async function upsertTraceRows(db: Db, rows: TraceRow[]): Promise<void> {
  if (rows.length === 0) return;
  const now = new Date().toISOString();
  const ex = (column: string) => sql.raw(`excluded.${column}`);
  const statements = chunkForD1(rows, TRACE_COLUMNS).map((chunk) =>
    db
      .insert(traces)
      .values(chunk.map((row) => ({ ...row, updatedAt: now })))
      .onConflictDoUpdate({
        target: [traces.projectId, traces.id],
        set: {
          agent: ex("agent"),
          version: ex("version"),
          startTime: ex("start_time"),
          endTime: ex("end_time"),
          latencyMs: ex("latency_ms"),
          status: ex("status"),
          spanCount: ex("span_count"),
          sizeBytes: ex("size_bytes"),
          r2Key: ex("r2_key"),
          state: sql`CASE WHEN ${traces.sha256} = excluded.sha256 AND ${traces.state} IN ('graded', 'quarantined') THEN ${traces.state} ELSE excluded.state END`,
          sha256: ex("sha256"),
          updatedAt: ex("updated_at"),
        },
      }),
  );
  await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
}

export async function findTraceRow(db: Db, projectId: string, id: string): Promise<TraceRow | undefined> {
  return db
    .select()
    .from(traces)
    .where(and(eq(traces.projectId, projectId), eq(traces.id, id)))
    .get();
}

export async function setTraceState(db: Db, projectId: string, id: string, state: TraceState): Promise<void> {
  await db
    .update(traces)
    .set({ state, updatedAt: new Date().toISOString() })
    .where(and(eq(traces.projectId, projectId), eq(traces.id, id)));
}

export interface TraceFilters {
  agent?: string;
  status?: "ok" | "error";
  state?: TraceState;
  version?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: { receivedAt: string; id: string };
}

/** Newest first by receipt; the cursor is the (receivedAt, id) of the last row seen. */
export async function listTraceRows(db: Db, projectId: string, f: TraceFilters): Promise<TraceRow[]> {
  const conditions = [eq(traces.projectId, projectId)];
  if (f.agent) conditions.push(eq(traces.agent, f.agent));
  if (f.status) conditions.push(eq(traces.status, f.status));
  if (f.state) conditions.push(eq(traces.state, f.state));
  if (f.version) conditions.push(eq(traces.version, f.version));
  const time = sql`coalesce(${traces.startTime}, ${traces.receivedAt})`;
  if (f.from) conditions.push(gte(time, f.from));
  if (f.to) conditions.push(lte(time, f.to));
  if (f.cursor) {
    conditions.push(
      or(
        lt(traces.receivedAt, f.cursor.receivedAt),
        and(eq(traces.receivedAt, f.cursor.receivedAt), lt(traces.id, f.cursor.id)),
      )!,
    );
  }
  return db
    .select()
    .from(traces)
    .where(and(...conditions))
    .orderBy(desc(traces.receivedAt), desc(traces.id))
    .limit(f.limit)
    .all();
}
