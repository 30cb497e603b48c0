/**
 * @module The TraceShard's SQLite side of OTLP: span records (idempotent on
 * project, trace and span id), the assembly state of each trace (when it falls
 * quiet, which revision was stored last) and the trace's row in the shard's
 * `traces` table, which the index flush and the window hand-off read.
 *
 * Runs inside the Durable Object only; every method is synchronous SQL, so a
 * caller wrapping it in `transactionSync` gets all-or-nothing.
 */
import type { TraceRecord } from "../../durable-objects/trace-shard";
import type { OtlpSpanRecord } from "../otlp";
import type { RecordSpansRequest, RecordSpansResult } from "./otlp-objects";

export const OTLP_SHARD_SCHEMA = `
  CREATE TABLE IF NOT EXISTS otlp_spans (
    project_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    is_root INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (project_id, trace_id, span_id)
  );
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
 * A DO SQL value is capped at 2 MB, so the spans of one call go into the
 * single-statement insert in chunks well under that.
 */
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
    const rows: string[] = [];
    let offered = 0;
    for (const trace of req.traces) {
      if (conflicting.has(trace.traceId)) {
        conflicts.push({ traceId: trace.traceId, spans: trace.spans.length });
        continue;
      }
      offered += trace.spans.length;
      // Ids are validated hex and records are JSON already: concatenating avoids escaping each record again.
      for (const [spanId, isRoot, record] of trace.spans) rows.push(`["${trace.traceId}","${spanId}",${isRoot},${record}]`);
    }

    if (rows.length > 0) {
      for (const [hash, json] of req.resources) {
        this.sql.exec("INSERT OR IGNORE INTO otlp_resources (project_id, hash, json) VALUES (?, ?, ?)", projectId, hash, json);
      }
    }

    const added = new Map<string, { count: number; root: number }>();
    for (const chunk of jsonArrayChunks(rows)) {
      const inserted = this.sql.exec<{ trace_id: string; is_root: number }>(
        `INSERT OR IGNORE INTO otlp_spans (project_id, trace_id, span_id, is_root, record)
         SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]')
         FROM json_each(?)
         RETURNING trace_id, is_root`,
        projectId,
        chunk,
      );
      for (const row of inserted) {
        const seen = added.get(row.trace_id) ?? { count: 0, root: 0 };
        seen.count++;
        seen.root |= row.is_root;
        added.set(row.trace_id, seen);
      }
    }

    let earliestDue: number | null = null;
    const agentOf = new Map(req.traces.map((t) => [t.traceId, t.agent]));
    for (const [traceId, { count, root }] of added) {
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
        agent: agentOf.get(traceId)!,
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
    const accepted = [...added.values()].reduce((sum, a) => sum + a.count, 0);
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
    const records = this.sql
      .exec<{ record: string }>("SELECT record FROM otlp_spans WHERE project_id = ? AND trace_id = ?", projectId, traceId)
      .toArray()
      .map((row) => JSON.parse(row.record) as OtlpSpanRecord & { resourceRef?: string });
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
   * Marks a stored revision as the finished trace, unless a span arrived while it
   * was being written (then the trace stays open and is assembled again later).
   */
  commitRevision(due: DueTrace, revision: number, record: TraceRecord): boolean {
    const current = this.sql
      .exec<{ change_seq: number }>("SELECT change_seq FROM otlp_traces WHERE project_id = ? AND id = ?", due.projectId, due.id)
      .one();
    if (current.change_seq !== due.changeSeq) return false;
    this.sql.exec("UPDATE otlp_traces SET revision = ?, due_at = NULL WHERE project_id = ? AND id = ?", revision, due.projectId, due.id);
    this.sql.exec(
      `UPDATE traces SET record = ?, sha256 = ?, agent = ?, state = 'finished', indexed = 0, forwarded = 0
       WHERE project_id = ? AND id = ?`,
      JSON.stringify(record),
      record.sha256,
      record.agent,
      due.projectId,
      due.id,
    );
    return true;
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
