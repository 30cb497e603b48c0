/**
 * @module D1 access for the trace index: idempotent inserts from the TraceShard,
 * lookups and filtered, cursor-paged listing for the API, and state changes.
 */
import { and, desc, eq, gte, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "./db";
import { traces } from "./schema";

export type TraceRow = typeof traces.$inferSelect;
export type TraceState = "assembling" | "finished" | "graded" | "quarantined";

/** Inserts rows, leaving rows that already exist untouched: re-delivery is harmless. */
export async function insertTraceRows(db: Db, rows: TraceRow[]): Promise<void> {
  await writeRowsAsJson(db, INSERT_TRACE_ROWS, rows);
}

/**
 * Inserts or updates rows that change over a trace's life (OTLP: assembling, then a
 * finished revision, reopened by a late span). Re-delivering the same revision keeps a
 * `graded` or `quarantined` state; a new revision (other SHA-256) replaces the row.
 *
 * Raw SQL, with the rows passed as one JSON parameter: a handful of statements per
 * flush instead of one per 6 rows (the 100-bound-parameter limit), and no query
 * building on the shard's hot path.
 */
export async function upsertTraceRows(db: Db, rows: TraceRow[]): Promise<void> {
  await writeRowsAsJson(db, UPSERT_TRACE_ROWS, rows);
}

async function writeRowsAsJson(db: Db, sqlText: string, rows: TraceRow[]): Promise<void> {
  if (rows.length === 0) return;
  const now = new Date().toISOString();
  const statement = db.$client.prepare(sqlText);
  const statements = jsonChunks(rows.map(rowTuple)).map((chunk) => statement.bind(chunk, now));
  await db.$client.batch(statements);
}

const UPSERT_COLUMNS = [
  "project_id",
  "id",
  "agent",
  "version",
  "source",
  "start_time",
  "end_time",
  "latency_ms",
  "status",
  "span_count",
  "sha256",
  "size_bytes",
  "r2_key",
  "state",
  "received_at",
] as const;

const rowTuple = (row: TraceRow): string =>
  JSON.stringify([
    row.projectId,
    row.id,
    row.agent,
    row.version,
    row.source,
    row.startTime,
    row.endTime,
    row.latencyMs,
    row.status,
    row.spanCount,
    row.sha256,
    row.sizeBytes,
    row.r2Key,
    row.state,
    row.receivedAt,
  ]);

/**
 * Native rows never change once written, with one exception: quarantine. A read that
 * finds the stored bytes altered may quarantine a trace while the shard is writing its
 * row as `finished`; the row lands after the quarantine's own update found nothing to
 * change, and the shard sends it again as `quarantined`, which must then win.
 */
const INSERT_TRACE_ROWS = `
  INSERT INTO traces (${UPSERT_COLUMNS.join(", ")}, updated_at)
  SELECT ${UPSERT_COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ")}, ?2
  FROM json_each(?1) WHERE true
  ON CONFLICT (project_id, id) DO UPDATE SET state = 'quarantined', updated_at = excluded.updated_at
    WHERE excluded.state = 'quarantined' AND traces.state <> 'quarantined'`;

// `WHERE true` resolves SQLite's parsing ambiguity between a join's ON and the upsert's ON CONFLICT.
const UPSERT_TRACE_ROWS = `
  INSERT INTO traces (${UPSERT_COLUMNS.join(", ")}, updated_at)
  SELECT ${UPSERT_COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ")}, ?2
  FROM json_each(?1) WHERE true
  ON CONFLICT (project_id, id) DO UPDATE SET
    agent = excluded.agent,
    version = excluded.version,
    start_time = excluded.start_time,
    end_time = excluded.end_time,
    latency_ms = excluded.latency_ms,
    status = excluded.status,
    span_count = excluded.span_count,
    size_bytes = excluded.size_bytes,
    r2_key = excluded.r2_key,
    state = CASE WHEN traces.sha256 = excluded.sha256 AND traces.state IN ('graded', 'quarantined') THEN traces.state ELSE excluded.state END,
    sha256 = excluded.sha256,
    updated_at = excluded.updated_at`;

/** D1 caps a value at 2 MB (less on the wire in practice); rows go as JSON arrays of at most this many characters. */
const MAX_JSON_PARAMETER_CHARS = 500_000;

function jsonChunks(elements: string[]): string[] {
  const chunks: string[] = [];
  let chunk: string[] = [];
  let size = 2;
  for (const element of elements) {
    if (chunk.length > 0 && size + element.length + 1 > MAX_JSON_PARAMETER_CHARS) {
      chunks.push(`[${chunk.join(",")}]`);
      chunk = [];
      size = 2;
    }
    chunk.push(element);
    size += element.length + 1;
  }
  if (chunk.length > 0) chunks.push(`[${chunk.join(",")}]`);
  return chunks;
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
