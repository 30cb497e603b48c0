/**
 * @module The TraceShard's store of OTLP spans (its tables are in schema.ts, its SQL
 * in span-statements.ts): spans (idempotent on project, trace and span id; stored per
 * trace and request as protobuf, or as a JSON array of records for OTLP/JSON), the
 * assembly state of each trace (when it falls quiet, which revision was stored last)
 * and the trace's row in the shard's `traces` table, which the index flush and the
 * window hand-off read.
 *
 * Span bytes are kept only while a trace may still be assembled from them: when a
 * revision is committed, the trace's pieces give way to references to the raw requests
 * in R2 that carried them (`otlp_span_requests`), so a shard holds the spans of open
 * traces, not of every trace it ever saw. A late span re-assembles its trace from
 * those requests (read back and verified) plus the new pieces.
 *
 * Runs inside the Durable Object only; every method is synchronous SQL, so a
 * caller wrapping it in `transactionSync` gets all-or-nothing.
 */
import { decodeOtlpTraces, type OtlpSpanRecord } from "../../worker/otlp";
import type { OtlpTraceSpans, OtlpTraceView, RecordSpansRequest, RecordSpansResult, TraceRecord } from "./contract";
import {
  COMMIT_REVISIONS_SQL,
  FINISH_TRACES_SQL,
  KNOWN_TRACES_SQL,
  RECORD_TRACES_SQL,
  OPEN_TRACES_SQL,
  PRUNED_REQUESTS_SQL,
  STORED_PIECES_SQL,
  STORED_REQUESTS_SQL,
  SPAN_IDS_SQL,
  PRUNE_PIECES_SQL,
} from "./span-statements";

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

export interface StoredSpans {
  /** Raw requests (R2 key, SHA-256 of the stored bytes) whose spans of the trace were pruned, oldest first. */
  requests: { key: string; sha256: string }[];
  /** Every span id the trace holds; what may be taken from `requests` (set only when there are any). */
  spanIds: Set<string>;
  /** Decodes the spans of the pieces still held, newer than anything in `requests`. */
  held: () => OtlpSpanRecord[];
}

interface StoredRequest {
  seq: number;
  key: string;
  sha256: string;
}

interface StoredPiece {
  seq: number;
  spans: string | ArrayBuffer;
}

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
  record(
    req: RecordSpansRequest,
    periods: QuietPeriods,
    now: number,
  ): RecordSpansResult & { earliestDue: number | null; indexAt: number | null } {
    const { projectId } = req;
    const known = this.knownTraces(
      projectId,
      req.traces.map((t) => t.traceId),
    );
    const conflicts: RecordSpansResult["conflicts"] = [];
    const stored: { trace: OtlpTraceSpans; newIds: string; count: number; root: number }[] = [];
    let offered = 0;
    let accepted = 0;
    for (const trace of req.traces) {
      const prior = known.get(trace.traceId);
      if (trace.spanIds.length % SPAN_ID_CHARS !== 0)
        throw new RangeError(`span ids of trace ${trace.traceId} are not ${SPAN_ID_CHARS} characters each`);
      const spans = trace.spanIds.length / SPAN_ID_CHARS;
      if (prior?.native) {
        conflicts.push({ traceId: trace.traceId, spans });
        continue;
      }
      offered += spans;
      // A span already stored (an exporter retry), or sent twice in this request, counts once.
      const seen = spanIdSet(prior?.spanIds ?? "");
      const roots = new Set(trace.roots);
      const records: string[] = [];
      let newIds = "";
      let count = 0;
      let root = 0;
      for (let i = 0; i < spans; i++) {
        const spanId = trace.spanIds.slice(i * SPAN_ID_CHARS, (i + 1) * SPAN_ID_CHARS);
        if (seen.has(spanId)) continue;
        seen.add(spanId);
        newIds += spanId;
        count++;
        if (roots.has(i)) root = 1;
        if ("records" in trace.content) records.push(trace.content.records[i]!);
      }
      if (count === 0) continue;
      accepted += count;
      // A protobuf piece is stored whole even when some of its spans were stored before (a
      // partly repeated request); assembly keeps one copy of each span id. A piece goes in as
      // a BLOB, a JSON array of records as TEXT: the column's type tells them apart.
      const pieces =
        "records" in trace.content ? [...jsonArrayChunks(records)] : trace.content.protobuf.map(exactBuffer);
      for (const piece of pieces) {
        this.sql.exec(
          "INSERT INTO otlp_span_sets (project_id, trace_id, spans, request_key, request_sha256) VALUES (?, ?, ?, ?, ?)",
          projectId,
          trace.traceId,
          piece,
          req.batch.key,
          req.batch.sha256,
        );
      }
      stored.push({ trace, newIds, count, root });
    }
    if (stored.length === 0) return { accepted: 0, duplicates: offered, conflicts, earliestDue: null, indexAt: null };

    for (const [hash, json] of req.resources) {
      this.sql.exec(
        "INSERT OR IGNORE INTO otlp_resources (project_id, hash, json) VALUES (?, ?, ?)",
        projectId,
        hash,
        json,
      );
    }

    // Each trace with new spans is (re)opened and due a quiet period from now: one statement for all of them.
    let earliestDue: number | null = null;
    const spanCounts = new Map<string, number>();
    for (const row of this.sql.exec<{ id: string; due_at: number; span_count: number }>(
      RECORD_TRACES_SQL,
      now,
      now,
      periods.quietMs,
      periods.rootlessQuietMs,
      req.receivedAt,
      JSON.stringify(stored.map(({ trace, newIds, count, root }) => [projectId, trace.traceId, root, count, newIds])),
      periods.quietMs,
      periods.rootlessQuietMs,
    )) {
      earliestDue = earliestDue === null ? row.due_at : Math.min(earliestDue, row.due_at);
      spanCounts.set(row.id, row.span_count);
    }
    // A new trace gets its row, kept out of the index for a quiet period: most traces are
    // finished by then and reach D1 once, finished. A finished one is reopened and its
    // index row goes back to `assembling` at once.
    let indexAt: number | null = null;
    for (const row of this.sql.exec<{ index_after: number | null }>(
      OPEN_TRACES_SQL,
      now + periods.quietMs,
      JSON.stringify(
        stored.map(({ trace }) => {
          const record: TraceRecord = {
            projectId,
            id: trace.traceId,
            agent: trace.agent,
            version: null,
            source: "otlp",
            startTime: null,
            endTime: null,
            latencyMs: null,
            status: "ok",
            spanCount: spanCounts.get(trace.traceId)!,
            // Until the first revision is assembled, the trace's bytes are the raw request that carried it.
            sha256: req.batch.sha256,
            sizeBytes: req.batch.sizeBytes,
            r2Key: req.batch.key,
            receivedAt: req.receivedAt,
          };
          return [projectId, trace.traceId, JSON.stringify(record), record.sha256, record.agent];
        }),
      ),
    )) {
      const at = row.index_after ?? now;
      indexAt = indexAt === null ? at : Math.min(indexAt, at);
    }
    return { accepted, duplicates: offered - accepted, conflicts, earliestDue, indexAt };
  }

  /**
   * For each of `ids` this shard already knows: whether a native trace holds the id
   * (recorded without OTLP spans), or the span ids stored for it. One statement.
   */
  private knownTraces(projectId: string, ids: string[]): Map<string, { native: boolean; spanIds: string }> {
    const known = new Map<string, { native: boolean; spanIds: string }>();
    for (const row of this.sql.exec<{ id: string; native: number; span_ids: string | null }>(
      KNOWN_TRACES_SQL,
      JSON.stringify(ids.map((id) => [projectId, id])),
    )) {
      known.set(row.id, { native: row.native === 1, spanIds: row.span_ids ?? "" });
    }
    return known;
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
      .map((r) => ({
        projectId: r.project_id,
        id: r.id,
        changeSeq: r.change_seq,
        revision: r.revision,
        receivedAt: r.received_at,
      }));
  }

  nextDueAt(): number | null {
    return this.sql
      .exec<{ at: number | null }>("SELECT min(due_at) AS at FROM otlp_traces WHERE due_at IS NOT NULL")
      .one().at;
  }

  /**
   * What each trace's spans are stored as: the raw requests of pieces pruned when an
   * earlier revision was committed (in arrival order; the caller reads them from R2),
   * and the pieces still held, decoded (with their resource put back) only when asked.
   * One statement per table for all the traces, not one per trace.
   */
  storedSpans(projectId: string, traceIds: string[]): Map<string, StoredSpans> {
    const want = JSON.stringify(traceIds.map((id) => [projectId, id]));
    const found = new Map(traceIds.map((id) => [id, { requests: [] as StoredRequest[], pieces: [] as StoredPiece[] }]));
    for (const row of this.sql.exec<{ seq: number; trace_id: string; request_key: string; request_sha256: string }>(
      STORED_REQUESTS_SQL,
      want,
    )) {
      found.get(row.trace_id)?.requests.push({ seq: row.seq, key: row.request_key, sha256: row.request_sha256 });
    }
    for (const row of this.sql.exec<{ seq: number; trace_id: string; spans: string | ArrayBuffer }>(
      STORED_PIECES_SQL,
      want,
    )) {
      found.get(row.trace_id)?.pieces.push({ seq: row.seq, spans: row.spans });
    }
    const pruned = [...found].filter(([, stored]) => stored.requests.length > 0).map(([id]) => [projectId, id]);
    const spanIds = new Map<string, string>();
    if (pruned.length > 0) {
      for (const row of this.sql.exec<{ id: string; span_ids: string }>(SPAN_IDS_SQL, JSON.stringify(pruned)))
        spanIds.set(row.id, row.span_ids);
    }
    const bySeq = (a: { seq: number }, b: { seq: number }) => a.seq - b.seq;
    return new Map(
      [...found].map(([id, { requests, pieces }]) => [
        id,
        {
          requests: requests.sort(bySeq).map(({ key, sha256 }) => ({ key, sha256 })),
          spanIds: spanIdSet(spanIds.get(id) ?? ""),
          held: () => this.decodePieces(projectId, pieces.sort(bySeq)),
        },
      ]),
    );
  }

  /** The spans of stored pieces, in order, with their resource put back. */
  private decodePieces(projectId: string, pieces: StoredPiece[]): OtlpSpanRecord[] {
    const records: (OtlpSpanRecord & { resourceRef?: string })[] = [];
    for (const piece of pieces) {
      // Protobuf pieces were validated span by span when they arrived; they decode to records with their resource.
      const stored =
        typeof piece.spans === "string"
          ? (JSON.parse(piece.spans) as OtlpSpanRecord[])
          : decodeOtlpTraces(new Uint8Array(piece.spans), "protobuf").spans;
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
  commitRevisions(
    projectId: string,
    revisions: { due: DueTrace; revision: number; record: TraceRecord }[],
  ): Set<string> {
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
        JSON.stringify(
          done.map(({ due, record }) => [projectId, due.id, JSON.stringify(record), record.sha256, record.agent]),
        ),
      );
      // No span came while the revision was written, so it holds every piece: they give way to their requests.
      const ids = JSON.stringify(done.map(({ due }) => [projectId, due.id]));
      this.sql.exec(PRUNED_REQUESTS_SQL, ids);
      this.sql.exec(PRUNE_PIECES_SQL, ids);
    }
    return committed;
  }

  /**
   * A trace that can no longer be assembled (its earlier spans are unreadable): not
   * due again until a span arrives, and quarantined in the shard's row, which goes to
   * the index in that state.
   */
  quarantine(projectId: string, traceId: string): void {
    this.sql.exec("UPDATE otlp_traces SET due_at = NULL WHERE project_id = ? AND id = ?", projectId, traceId);
    this.sql.exec(
      "UPDATE traces SET state = 'quarantined', indexed = 0, index_after = NULL WHERE project_id = ? AND id = ?",
      projectId,
      traceId,
    );
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

/** A span id as hex. */
const SPAN_ID_CHARS = 16;

/** The span ids listed back to back in a trace's `span_ids` (16 hex characters each), as a set. */
function spanIdSet(spanIds: string): Set<string> {
  const set = new Set<string>();
  for (let at = 0; at < spanIds.length; at += SPAN_ID_CHARS) set.add(spanIds.slice(at, at + SPAN_ID_CHARS));
  return set;
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
