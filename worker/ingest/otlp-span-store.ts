/**
 * @module The TraceShard's SQLite side of OTLP: spans (idempotent on project, trace
 * and span id; stored per trace and request as protobuf, or as a JSON array of
 * records for OTLP/JSON), the assembly state of each trace (when it falls
 * quiet, which revision was stored last) and the trace's row in the shard's
 * `traces` table, which the index flush and the window hand-off read.
 *
 * Runs inside the Durable Object only; every method is synchronous SQL, so a
 * caller wrapping it in `transactionSync` gets all-or-nothing.
 */
import type { TraceRecord } from "../../durable-objects/trace-shard";
import type { OtlpSpanRecord } from "../otlp";
import type { OtlpTraceSpans, RecordSpansRequest, RecordSpansResult } from "./otlp-objects";
import { decodeProtobufTracesFast } from "./otlp-wire";

/**
 * Spans are stored compactly: rows per (trace, request) holding that request's spans of
 * the trace (a trace is read whole, never span by span), and a payload-free key table
 * whose primary key makes every (trace id, span id) count once.
 */
export const OTLP_SHARD_SCHEMA = `
  CREATE TABLE IF NOT EXISTS otlp_span_ids (
    project_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    PRIMARY KEY (project_id, trace_id, span_id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS otlp_span_sets (
    project_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    spans TEXT NOT NULL
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

/**
 * Shards written before spans were stored compactly kept one row per span in
 * `otlp_spans`; their spans move to the compact tables once, so no acknowledged span is lost.
 */
export function migrateLegacySpans(sql: SqlStorage): void {
  const legacy = sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'otlp_spans'").one().n;
  if (legacy === 0) return;
  sql.exec(`
    INSERT OR IGNORE INTO otlp_span_ids (project_id, trace_id, span_id) SELECT project_id, trace_id, span_id FROM otlp_spans;
    INSERT INTO otlp_span_sets (project_id, trace_id, spans)
      SELECT project_id, trace_id, '[' || group_concat(record, ',') || ']' FROM otlp_spans
      GROUP BY project_id, trace_id HAVING sum(length(record)) <= ${MAX_CHUNK_CHARS};
    INSERT INTO otlp_span_sets (project_id, trace_id, spans)
      SELECT project_id, trace_id, '[' || record || ']' FROM otlp_spans
      WHERE (project_id, trace_id) IN (
        SELECT project_id, trace_id FROM otlp_spans GROUP BY project_id, trace_id HAVING sum(length(record)) > ${MAX_CHUNK_CHARS}
      );
    DROP TABLE otlp_spans;
  `);
}

export interface QuietPeriods {
  quietMs: number;
  rootlessQuietMs: number;
}

export interface DueTrace {
  projectId: string;
  id: string;
  changeSeq: number;
  revision: number;
  receivedAt: string;
}

export interface OtlpTraceView {
  record: TraceRecord;
  state: string;
  revision: number;
  spanCount: number;
  /** True while spans may still come: not yet assembled, or reopened by a late span. */
  assembling: boolean;
}

/**
 * Bulk statements over JSON rows. The project id is inside each row (not a separate
 * parameter) so the plan looks every row up by primary key; with `project_id = ?`
 * SQLite scans the whole project once per row instead (a test checks the plans).
 */
export const COMMIT_REVISIONS_SQL = `UPDATE otlp_traces SET revision = done.revision, due_at = NULL
  FROM (SELECT value ->> 0 AS project_id, value ->> 1 AS id, value ->> 2 AS change_seq, value ->> 3 AS revision FROM json_each(?)) AS done
  WHERE otlp_traces.project_id = done.project_id AND otlp_traces.id = done.id AND otlp_traces.change_seq = done.change_seq
  RETURNING otlp_traces.id AS id`;

export const FINISH_TRACES_SQL = `UPDATE traces SET record = done.record, sha256 = done.sha256, agent = done.agent, state = 'finished', indexed = 0, forwarded = 0
  FROM (SELECT value ->> 0 AS project_id, value ->> 1 AS id, value ->> 2 AS record, value ->> 3 AS sha256, value ->> 4 AS agent FROM json_each(?)) AS done
  WHERE traces.project_id = done.project_id AND traces.id = done.id`;

/** A DO SQL value is capped at 2 MB, so a trace's spans from one call are stored in chunks well under that. */
const MAX_CHUNK_CHARS = 1_000_000;

export class OtlpSpanStore {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Stores the spans of one request for the traces this shard owns. A span already
   * stored (an exporter retry) is ignored and does not touch its trace, so a retry
   * never reopens a finished trace. A trace with new spans is (re)opened and due
   * `quietMs` after this call (or `rootlessQuietMs` while no root span is known).
   */
  record(req: RecordSpansRequest, periods: QuietPeriods, now: number): RecordSpansResult & { earliestDue: number | null } {
    const { projectId } = req;
    const conflicting = this.nativeTraceIds(projectId, req.traces.map((t) => t.traceId));
    const conflicts: RecordSpansResult["conflicts"] = [];
    const offeredTraces: OtlpTraceSpans[] = [];
    const keys: string[] = [];
    let offered = 0;
    for (const trace of req.traces) {
      if (conflicting.has(trace.traceId)) {
        conflicts.push({ traceId: trace.traceId, spans: trace.spans.length });
        continue;
      }
      offeredTraces.push(trace);
      offered += trace.spans.length;
      // Ids are validated lowercase hex (32 + 16 characters), so they need no escaping and split by position.
      for (const [spanId] of trace.spans) keys.push(`"${trace.traceId}${spanId}"`);
    }
    if (keys.length === 0) return { accepted: 0, duplicates: 0, conflicts, earliestDue: null };

    // The key table decides which spans are new: a span already stored (an exporter retry) is not stored again.
    const fresh = new Set<string>();
    for (const row of this.sql.exec<{ key: string }>(
      `INSERT OR IGNORE INTO otlp_span_ids (project_id, trace_id, span_id)
       SELECT ?, substr(value, 1, 32), substr(value, 33) FROM json_each(?)
       RETURNING trace_id || span_id AS key`,
      projectId,
      `[${keys.join(",")}]`,
    )) {
      fresh.add(row.key);
    }
    if (fresh.size === 0) return { accepted: 0, duplicates: offered, conflicts, earliestDue: null };

    for (const [hash, json] of req.resources) {
      this.sql.exec("INSERT OR IGNORE INTO otlp_resources (project_id, hash, json) VALUES (?, ?, ?)", projectId, hash, json);
    }

    let earliestDue: number | null = null;
    let accepted = 0;
    for (const trace of offeredTraces) {
      const { traceId, content } = trace;
      const records: string[] = [];
      let count = 0;
      let root = 0;
      trace.spans.forEach(([spanId, isRoot], i) => {
        // Deleting the key counts only the first copy of a span sent twice in one request.
        if (!fresh.delete(traceId + spanId)) return;
        count++;
        root |= isRoot;
        if ("records" in content) records.push(content.records[i]!);
      });
      accepted += count;
      if (count === 0) continue;
      // A protobuf piece is stored whole even when some of its spans were stored before (a
      // partly repeated request); assembly keeps one copy of each span id. A piece goes in as
      // a BLOB, a JSON array of records as TEXT: the column's type tells them apart.
      const pieces = "records" in content ? [...jsonArrayChunks(records)] : content.protobuf.map(exactBuffer);
      for (const piece of pieces) {
        this.sql.exec("INSERT INTO otlp_span_sets (project_id, trace_id, spans) VALUES (?, ?, ?)", projectId, traceId, piece);
      }
      const { due_at: due, span_count: spanCount } = this.sql
        .exec<{ due_at: number; span_count: number }>(
          `INSERT INTO otlp_traces (project_id, id, has_root, span_count, last_span_at, change_seq, due_at, received_at)
           VALUES (?, ?, ?, ?, ?, 1, ? + CASE WHEN ? = 1 THEN ? ELSE ? END, ?)
           ON CONFLICT (project_id, id) DO UPDATE SET
             has_root = max(has_root, excluded.has_root),
             span_count = span_count + excluded.span_count,
             last_span_at = excluded.last_span_at,
             change_seq = change_seq + 1,
             due_at = excluded.last_span_at + CASE WHEN max(has_root, excluded.has_root) = 1 THEN ? ELSE ? END
           RETURNING due_at, span_count`,
          projectId, traceId, root, count, now, now, root, periods.quietMs, periods.rootlessQuietMs, req.receivedAt,
          periods.quietMs, periods.rootlessQuietMs,
        )
        .one();
      earliestDue = earliestDue === null ? due : Math.min(earliestDue, due);
      const record: TraceRecord = {
        projectId,
        id: traceId,
        agent: trace.agent,
        version: null,
        source: "otlp",
        startTime: null,
        endTime: null,
        latencyMs: null,
        status: "ok",
        spanCount,
        // Until the first revision is assembled, the trace's bytes are the raw request that carried it.
        sha256: req.batch.sha256,
        sizeBytes: req.batch.sizeBytes,
        r2Key: req.batch.key,
        receivedAt: req.receivedAt,
      };
      // A new trace gets its row; a finished one is reopened and its index row goes back to `assembling`.
      this.sql.exec(
        `INSERT INTO traces (project_id, id, record, sha256, agent, state) VALUES (?, ?, ?, ?, ?, 'assembling')
         ON CONFLICT (project_id, id) DO UPDATE SET state = 'assembling', indexed = 0 WHERE traces.state <> 'assembling'`,
        projectId, traceId, JSON.stringify(record), record.sha256, record.agent,
      );
    }
    return { accepted, duplicates: offered - accepted, conflicts, earliestDue };
  }

  /** Trace ids already taken by a native trace of this project (recorded without OTLP spans). */
  private nativeTraceIds(projectId: string, ids: string[]): Set<string> {
    const rows = this.sql.exec<{ id: string }>(
      `SELECT t.id FROM traces t
       WHERE t.project_id = ? AND t.id IN (SELECT value FROM json_each(?))
         AND NOT EXISTS (SELECT 1 FROM otlp_traces o WHERE o.project_id = t.project_id AND o.id = t.id)`,
      projectId,
      JSON.stringify(ids),
    );
    return new Set([...rows].map((row) => row.id));
  }

  /** Traces whose quiet period has passed, earliest first. */
  dueTraces(now: number, limit: number): DueTrace[] {
    return this.sql
      .exec<{ project_id: string; id: string; change_seq: number; revision: number; received_at: string }>(
        "SELECT project_id, id, change_seq, revision, received_at FROM otlp_traces WHERE due_at <= ? ORDER BY due_at LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((r) => ({ projectId: r.project_id, id: r.id, changeSeq: r.change_seq, revision: r.revision, receivedAt: r.received_at }));
  }

  nextDueAt(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT min(due_at) AS at FROM otlp_traces WHERE due_at IS NOT NULL").one().at;
  }

  /** Every span stored for a trace, with its resource put back. */
  spansOf(projectId: string, traceId: string): OtlpSpanRecord[] {
    const records: (OtlpSpanRecord & { resourceRef?: string })[] = [];
    for (const row of this.sql.exec<{ spans: string | ArrayBuffer }>(
      "SELECT spans FROM otlp_span_sets WHERE project_id = ? AND trace_id = ? ORDER BY rowid",
      projectId,
      traceId,
    )) {
      // Protobuf pieces were validated span by span when they arrived; they decode to records with their resource.
      const stored = typeof row.spans === "string" ? (JSON.parse(row.spans) as OtlpSpanRecord[]) : decodeProtobufTracesFast(new Uint8Array(row.spans)).spans;
      for (const record of stored) records.push(record);
    }
    const refs = [...new Set(records.map((r) => r.resourceRef).filter((ref) => ref !== undefined))];
    const resources = new Map<string, Record<string, unknown>>();
    if (refs.length > 0) {
      const rows = this.sql.exec<{ hash: string; json: string }>(
        "SELECT hash, json FROM otlp_resources WHERE project_id = ? AND hash IN (SELECT value FROM json_each(?))",
        projectId,
        JSON.stringify(refs),
      );
      for (const row of rows) resources.set(row.hash, JSON.parse(row.json) as Record<string, unknown>);
    }
    for (const record of records) {
      if (record.resourceRef === undefined) continue;
      record.resource = resources.get(record.resourceRef) ?? {};
      delete record.resourceRef;
    }
    return records;
  }

  /**
   * Marks stored revisions as the finished traces, unless a span arrived while they
   * were being written (such a trace stays open and is assembled again later). Two
   * statements for the whole run, not three per trace. Returns the ids committed.
   */
  commitRevisions(projectId: string, revisions: { due: DueTrace; revision: number; record: TraceRecord }[]): Set<string> {
    if (revisions.length === 0) return new Set();
    const committed = new Set(
      this.sql
        .exec<{ id: string }>(
          COMMIT_REVISIONS_SQL,
          JSON.stringify(revisions.map(({ due, revision }) => [projectId, due.id, due.changeSeq, revision])),
        )
        .toArray()
        .map((row) => row.id),
    );
    const done = revisions.filter(({ due }) => committed.has(due.id));
    if (done.length > 0) {
      this.sql.exec(
        FINISH_TRACES_SQL,
        JSON.stringify(done.map(({ due, record }) => [projectId, due.id, JSON.stringify(record), record.sha256, record.agent])),
      );
    }
    return committed;
  }

  /** Moves a trace that cannot be assembled out of the way, so one bad trace does not stall the alarm. */
  postpone(due: DueTrace, until: number): void {
    this.sql.exec("UPDATE otlp_traces SET due_at = ? WHERE project_id = ? AND id = ?", until, due.projectId, due.id);
  }

  view(projectId: string, traceId: string): OtlpTraceView | null {
    const row = this.sql
      .exec<{ revision: number; span_count: number; record: string; state: string }>(
        `SELECT o.revision, o.span_count, t.record, t.state FROM otlp_traces o
         JOIN traces t ON t.project_id = o.project_id AND t.id = o.id
         WHERE o.project_id = ? AND o.id = ?`,
        projectId,
        traceId,
      )
      .toArray()[0];
    if (!row) return null;
    return {
      record: JSON.parse(row.record) as TraceRecord,
      state: row.state,
      revision: row.revision,
      spanCount: row.span_count,
      assembling: row.state === "assembling",
    };
  }
}

/** SQL binds an ArrayBuffer as a BLOB, so a view must own its whole buffer. */
function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes : bytes.slice()).buffer as ArrayBuffer;
}

/** JSON arrays of the given JSON elements, each at most MAX_CHUNK_CHARS long (or one element). */
function* jsonArrayChunks(elements: string[]): Generator<string> {
  let chunk: string[] = [];
  let size = 2;
  for (const element of elements) {
    if (chunk.length > 0 && size + element.length + 1 > MAX_CHUNK_CHARS) {
      yield `[${chunk.join(",")}]`;
      chunk = [];
      size = 2;
    }
    chunk.push(element);
    size += element.length + 1;
  }
  if (chunk.length > 0) yield `[${chunk.join(",")}]`;
}
