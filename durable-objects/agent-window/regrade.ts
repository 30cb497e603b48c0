/**
 * @module Regrades: grading an agent's stored traces with its current graders, for
 * traces that arrived before any grader existed or to apply a new grader version to
 * the past. A regrade becomes ordinary closed windows of at most `maxTraces` traces with
 * pinned grader versions, which the AgentWindow grades like any other (retries, scores
 * superseding earlier ones, dataset collection). A regrade is identified by what it asks
 * for (range, grader versions), so asking twice returns the first one instead of grading
 * everything again.
 */
import type { GraderRef } from "../../worker/storage/grader-store";
import { sha256Hex } from "../../worker/dataset/fingerprint";

export interface RegradeRequest {
  from?: string;
  to?: string;
  /** The grader versions to run, resolved from the request's grader ids (or every enabled grader). */
  graders: GraderRef[];
  /** True when the caller named graders: only their earlier scores are superseded. */
  onlyGraders: boolean;
}

export type RegradeState = "running" | "retrying" | "done";

export interface RegradeStatus {
  regradeId: string;
  state: RegradeState;
  /** Traces the regrade grades. */
  traces: number;
  /** Windows it was split into (each at most `maxTraces`). */
  windows: number;
  /** Windows graded and collected so far. */
  gradedWindows: number;
  from: string | null;
  to: string | null;
  graders: GraderRef[];
  createdAt: string;
  /** The last grading error of a window being retried, if any. */
  lastError: string | null;
}

export const REGRADE_TABLES = `
  CREATE TABLE IF NOT EXISTS regrades (
    id TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    traces INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );`;

/** Columns regrades add to the window table of objects created before them. */
export function addRegradeColumns(sql: SqlStorage): void {
  const columns = new Set(
    sql
      .exec<{ name: string }>("SELECT name FROM pragma_table_info('windows')")
      .toArray()
      .map((c) => c.name),
  );
  if (!columns.has("regrade_id")) sql.exec("ALTER TABLE windows ADD COLUMN regrade_id TEXT");
  if (!columns.has("only_graders")) sql.exec("ALTER TABLE windows ADD COLUMN only_graders INTEGER NOT NULL DEFAULT 0");
  sql.exec("CREATE INDEX IF NOT EXISTS windows_regrade ON windows (regrade_id)");
}

/** The same request (range and grader versions) always has the same id. */
export async function regradeIdOf(request: RegradeRequest): Promise<string> {
  const graders = [...request.graders].sort((a, b) => (a.graderId < b.graderId ? -1 : a.graderId > b.graderId ? 1 : 0));
  const key = JSON.stringify([request.from ?? null, request.to ?? null, graders, request.onlyGraders]);
  return `rg_${(await sha256Hex(`flywheel-regrade\n${key}`)).slice(0, 24)}`;
}

export function hasRegrade(sql: SqlStorage, id: string): boolean {
  return sql.exec("SELECT 1 FROM regrades WHERE id = ?", id).toArray().length > 0;
}

export interface RegradeRef {
  traceId: string;
  r2Key: string;
  sha256: string;
  version: string | null;
}

/**
 * Records a regrade and its closed windows of at most `maxTraces` members, with the
 * grader versions pinned. Traces waiting in a window of this object are left to it: the
 * same trace graded by two windows at once could leave two current scores.
 */
export function insertRegradeWindows(
  sql: SqlStorage,
  id: string,
  request: RegradeRequest,
  found: readonly RegradeRef[],
  options: { maxTraces: number; minGraded: number; now: number; newWindow: () => number },
): void {
  const waiting = new Set(
    sql
      .exec<{ trace_id: string }>("SELECT trace_id FROM window_members")
      .toArray()
      .map((m) => m.trace_id),
  );
  const members = found.filter((ref) => !waiting.has(ref.traceId));
  const { now } = options;
  for (const chunk of splitIntoWindows(members, options.maxTraces)) {
    const seq = options.newWindow();
    sql.exec(
      `UPDATE windows SET state = 'closing', closed_at = ?, min_graded = ?, next_attempt_at = ?, graders = ?,
         regrade_id = ?, only_graders = ? WHERE seq = ?`,
      now,
      options.minGraded,
      now,
      JSON.stringify(request.graders),
      id,
      request.onlyGraders ? 1 : 0,
      seq,
    );
    sql.exec(
      `INSERT INTO window_members (seq, trace_id, r2_key, sha256, version, added_at)
       SELECT ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3, ? FROM json_each(?)`,
      seq,
      now,
      JSON.stringify(chunk.map((ref) => [ref.traceId, ref.r2Key, ref.sha256, ref.version])),
    );
  }
  recordRegrade(sql, id, request, members.length, now);
}

function recordRegrade(sql: SqlStorage, id: string, request: RegradeRequest, traces: number, now: number): void {
  sql.exec(
    "INSERT OR IGNORE INTO regrades (id, request, traces, created_at) VALUES (?, ?, ?, ?)",
    id,
    JSON.stringify(request),
    traces,
    now,
  );
}

/** Splits members into windows of at most `maxTraces`. */
export function splitIntoWindows<T>(members: readonly T[], maxTraces: number): T[][] {
  const size = Math.max(1, Math.floor(maxTraces));
  const windows: T[][] = [];
  for (let i = 0; i < members.length; i += size) windows.push(members.slice(i, i + size));
  return windows;
}

export function readRegrade(sql: SqlStorage, id: string): RegradeStatus | null {
  const row = sql
    .exec<{ request: string; traces: number; created_at: number }>(
      "SELECT request, traces, created_at FROM regrades WHERE id = ?",
      id,
    )
    .toArray()[0];
  if (!row) return null;
  const request = JSON.parse(row.request) as RegradeRequest;
  const windows = sql
    .exec<{ state: string; attempts: number; last_error: string | null }>(
      "SELECT state, attempts, last_error FROM windows WHERE regrade_id = ? ORDER BY seq",
      id,
    )
    .toArray();
  const graded = windows.filter((w) => w.state === "collected").length;
  const failing = windows.filter((w) => w.state !== "collected" && w.attempts > 0);
  const state: RegradeState = graded === windows.length ? "done" : failing.length > 0 ? "retrying" : "running";
  return {
    regradeId: id,
    state,
    traces: row.traces,
    windows: windows.length,
    gradedWindows: graded,
    from: request.from ?? null,
    to: request.to ?? null,
    graders: request.graders,
    createdAt: new Date(row.created_at).toISOString(),
    lastError: failing.find((w) => w.last_error !== null)?.last_error ?? null,
  };
}
