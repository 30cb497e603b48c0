/**
 * @module The AgentWindow's SQLite tables, created in one place: its windows and their
 * members, the hand-offs it remembers, its settings (meta) and regrade bookkeeping.
 */
import { REGRADE_TABLES, addRegradeColumns } from "./regrade";
import type { WindowStateName } from "./contract";

export interface WindowRow {
  seq: number;
  id: string;
  state: WindowStateName;
  opened_at: number;
  closed_at: number | null;
  min_graded: number | null;
  graders: string | null;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  regrade_id: string | null;
  only_graders: number;
  [key: string]: SqlStorageValue;
}

/**
 * How long a hand-off is remembered. A TraceShard hands the same trace again only when
 * its mark of a hand-off was lost, and retries within seconds or minutes; remembering
 * every trace for ever would grow this object by ~100 bytes a trace (gigabytes a day
 * for a busy agent) until its storage is full.
 */
export const SEEN_RETENTION_MS = 3_600_000;
/** Rows forgotten per hand-off at most, so one call never stalls on a large backlog. */
export const FORGET_SEEN_BATCH = 2_000;
export const FORGET_SEEN_SQL = `DELETE FROM seen_traces WHERE rowid IN (
  SELECT rowid FROM seen_traces WHERE seen_at < ? ORDER BY seen_at LIMIT ?)`;

/** Creates every table (idempotent); run under blockConcurrencyWhile in the constructor. */
export function createWindowTables(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS windows (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      state TEXT NOT NULL,
      opened_at INTEGER NOT NULL,
      closed_at INTEGER,
      min_graded INTEGER,
      graders TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER,
      last_error TEXT
    );
    CREATE INDEX IF NOT EXISTS windows_state ON windows (state, seq);
    CREATE TABLE IF NOT EXISTS window_members (
      seq INTEGER NOT NULL,
      trace_id TEXT NOT NULL,
      r2_key TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      version TEXT,
      added_at INTEGER NOT NULL,
      PRIMARY KEY (seq, trace_id)
    );
    CREATE TABLE IF NOT EXISTS seen_traces (
      trace_id TEXT PRIMARY KEY,
      sha256 TEXT NOT NULL,
      seq INTEGER,
      seen_at INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS seen_traces_age ON seen_traces (seen_at);
  `);
  sql.exec(REGRADE_TABLES);
  addRegradeColumns(sql);
}
