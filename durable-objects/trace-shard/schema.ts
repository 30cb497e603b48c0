/**
 * @module Every SQLite table of a TraceShard, created in one place when the object
 * starts (under `blockConcurrencyWhile`, before any request).
 *
 * - `traces`: one row per acknowledged trace, native or OTLP: its record (JSON), its
 *   state, and whether it has reached the D1 index (`indexed`; `index_after` holds a new
 *   OTLP trace back for its quiet period) and its agent's window (`forwarded`).
 * - OTLP spans are stored compactly: `otlp_span_sets` holds, per (trace, request), that
 *   request's spans of the trace (a trace is read whole, never span by span), with the raw
 *   request's R2 key and SHA-256. Each trace's `otlp_traces` row lists the ids of its
 *   stored spans (`span_ids`, 16 hex characters each, back to back), which is what makes
 *   every (trace id, span id) count once: a new trace needs no lookup per span.
 *   `otlp_span_requests` names, per finished trace, the raw requests its pruned pieces
 *   came from, in arrival order; `otlp_resources` stores each resource of an OTLP/JSON
 *   request once, by hash.
 */
export const TRACE_SHARD_SCHEMA = `
  CREATE TABLE IF NOT EXISTS traces (
    project_id TEXT NOT NULL,
    id TEXT NOT NULL,
    record TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    agent TEXT NOT NULL,
    state TEXT NOT NULL,
    indexed INTEGER NOT NULL DEFAULT 0,
    forwarded INTEGER NOT NULL DEFAULT 0,
    index_after INTEGER,
    PRIMARY KEY (project_id, id)
  );
  CREATE INDEX IF NOT EXISTS traces_pending ON traces (indexed, forwarded);
  -- The flush looks for rows due now among those not yet indexed, which include every OTLP
  -- trace held for its quiet period: by this index it seeks to them instead of visiting each.
  CREATE INDEX IF NOT EXISTS traces_unindexed ON traces (indexed, index_after);
  CREATE TABLE IF NOT EXISTS otlp_span_sets (
    project_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    spans TEXT NOT NULL,
    request_key TEXT,
    request_sha256 TEXT
  );
  CREATE TABLE IF NOT EXISTS otlp_span_requests (
    project_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    request_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    UNIQUE (project_id, trace_id, request_key)
  );
  CREATE INDEX IF NOT EXISTS otlp_span_sets_trace ON otlp_span_sets (project_id, trace_id);
  CREATE TABLE IF NOT EXISTS otlp_traces (
    project_id TEXT NOT NULL,
    id TEXT NOT NULL,
    has_root INTEGER NOT NULL,
    span_count INTEGER NOT NULL,
    last_span_at INTEGER NOT NULL,
    change_seq INTEGER NOT NULL,
    due_at INTEGER,
    revision INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    span_ids TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (project_id, id)
  );
  CREATE TABLE IF NOT EXISTS otlp_resources (
    project_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (project_id, hash)
  );
  CREATE INDEX IF NOT EXISTS otlp_traces_due ON otlp_traces (due_at) WHERE due_at IS NOT NULL;
`;
