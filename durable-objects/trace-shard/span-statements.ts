/**
 * @module The OTLP span store's SQL (its tables are in schema.ts), kept apart from
 * the store so each statement and its query plan can be read, and tested, on its own.
 */

/**
 * Bulk statements over JSON rows. The project id is inside each row (not a separate
 * parameter) so the plan looks every row up by primary key; with `project_id = ?`
 * SQLite scans the whole project once per row instead (a test checks the plans).
 */
export const COMMIT_REVISIONS_SQL = `UPDATE otlp_traces SET revision = done.revision, due_at = NULL
  FROM (SELECT value ->> 0 AS project_id, value ->> 1 AS id, value ->> 2 AS change_seq, value ->> 3 AS revision FROM json_each(?)) AS done
  WHERE otlp_traces.project_id = done.project_id AND otlp_traces.id = done.id AND otlp_traces.change_seq = done.change_seq
  RETURNING otlp_traces.id AS id`;

export const FINISH_TRACES_SQL = `UPDATE traces SET record = done.record, sha256 = done.sha256, agent = done.agent, state = 'finished', indexed = 0, forwarded = 0, index_after = NULL
  FROM (SELECT value ->> 0 AS project_id, value ->> 1 AS id, value ->> 2 AS record, value ->> 3 AS sha256, value ->> 4 AS agent FROM json_each(?)) AS done
  WHERE traces.project_id = done.project_id AND traces.id = done.id`;

/** The JSON rows `[project_id, trace id]` bound to a statement, as a table of (project_id, id). */
const WANTED_TRACES = "(SELECT value ->> 0 AS project_id, value ->> 1 AS id FROM json_each(?))";

/**
 * The ids among the JSON rows `[project_id, id]` this shard knows: a native trace
 * (in `traces` without OTLP spans) or an OTLP trace with its span ids.
 */
export const KNOWN_TRACES_SQL = `SELECT ask.id AS id, o.id IS NULL AS native, o.span_ids AS span_ids
  FROM ${WANTED_TRACES} AS ask
  LEFT JOIN traces t ON t.project_id = ask.project_id AND t.id = ask.id
  LEFT JOIN otlp_traces o ON o.project_id = ask.project_id AND o.id = ask.id
  WHERE t.id IS NOT NULL OR o.id IS NOT NULL`;

/**
 * Opens (or reopens) each trace of the JSON rows `[project_id, id, has_root, new span
 * count, new span ids]`: due a quiet period after now, its span ids appended.
 * Parameters: now, now, quietMs, rootlessQuietMs, receivedAt, rows, quietMs, rootlessQuietMs.
 */
export const RECORD_TRACES_SQL = `INSERT INTO otlp_traces (project_id, id, has_root, span_count, last_span_at, change_seq, due_at, received_at, span_ids)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, ?, 1, ? + CASE WHEN value ->> 2 = 1 THEN ? ELSE ? END, ?, value ->> 4
  FROM json_each(?) WHERE true
  ON CONFLICT (project_id, id) DO UPDATE SET
    has_root = max(has_root, excluded.has_root),
    span_count = span_count + excluded.span_count,
    last_span_at = excluded.last_span_at,
    change_seq = change_seq + 1,
    due_at = excluded.last_span_at + CASE WHEN max(has_root, excluded.has_root) = 1 THEN ? ELSE ? END,
    span_ids = span_ids || excluded.span_ids
  RETURNING id, due_at, span_count`;

/**
 * The shard's `traces` row of each JSON row `[project_id, id, record, sha256, agent]`:
 * new (held from the index until the first parameter, a time), or reopened when
 * finished (indexed at once, so the index stops calling it finished). Returns the
 * rows it wrote and when each may be indexed (null: now).
 */
export const OPEN_TRACES_SQL = `INSERT INTO traces (project_id, id, record, sha256, agent, state, index_after)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, 'assembling', ? FROM json_each(?) WHERE true
  ON CONFLICT (project_id, id) DO UPDATE SET state = 'assembling', indexed = 0, index_after = NULL WHERE traces.state <> 'assembling'
  RETURNING index_after`;

/** For the JSON rows `[project_id, trace id]`: the raw requests of their pruneable pieces, in arrival order, each once. */
export const PRUNED_REQUESTS_SQL = `INSERT OR IGNORE INTO otlp_span_requests (project_id, trace_id, request_key, request_sha256)
  SELECT s.project_id, s.trace_id, s.request_key, s.request_sha256
  FROM ${WANTED_TRACES} AS want
  JOIN otlp_span_sets s ON s.project_id = want.project_id AND s.trace_id = want.id
  WHERE s.request_key IS NOT NULL ORDER BY s.rowid`;

/** The pieces of the JSON rows `[project_id, trace id]`, with their rowid (arrival order) as `seq`. */
export const STORED_PIECES_SQL = `SELECT s.rowid AS seq, s.trace_id AS trace_id, s.spans AS spans
  FROM ${WANTED_TRACES} AS want
  JOIN otlp_span_sets s ON s.project_id = want.project_id AND s.trace_id = want.id`;

/** The pruned requests of the JSON rows `[project_id, trace id]`, with their rowid (arrival order) as `seq`. */
export const STORED_REQUESTS_SQL = `SELECT r.rowid AS seq, r.trace_id AS trace_id, r.request_key AS request_key, r.request_sha256 AS request_sha256
  FROM ${WANTED_TRACES} AS want
  JOIN otlp_span_requests r ON r.project_id = want.project_id AND r.trace_id = want.id`;

/** The span ids of the JSON rows `[project_id, trace id]`. */
export const SPAN_IDS_SQL = `SELECT o.id AS id, o.span_ids AS span_ids
  FROM ${WANTED_TRACES} AS want
  JOIN otlp_traces o ON o.project_id = want.project_id AND o.id = want.id`;

/** Deletes the pieces of the JSON rows `[project_id, trace id]` that name their request. */
export const PRUNE_PIECES_SQL = `DELETE FROM otlp_span_sets WHERE request_key IS NOT NULL AND (project_id, trace_id) IN (
  SELECT value ->> 0, value ->> 1 FROM json_each(?))`;
