/**
 * @module TraceShard: the durable record of every acknowledged trace of one project
 * shard (traces are spread over shards by a hash of their id).
 *
 * Ingest answers 2xx only after the trace's bytes are in R2 *and* its record is in
 * this object's SQLite storage, so an acknowledged trace survives a dying Worker.
 * From here, an alarm copies records into the D1 index in coalesced batches and
 * hands finished traces to their agent's AgentWindow. Both hand-offs are idempotent
 * and marked done only after they succeed, so a crash or a failing D1 means a retry,
 * never a loss or a double count.
 *
 * OTLP spans arrive here too, grouped by trace id, and stay until their trace falls
 * quiet; the same alarm then assembles the trace, stores it in R2 as a new revision
 * (a byte range of the one segment object written per run) and hands it on like a
 * native trace. The object has one alarm, always armed for the earliest due item
 * (an index flush or a trace falling quiet).
 */
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../../worker/config";
import { traceLatencyMs } from "../../worker/domain/trace";
import { assembleTrace } from "../../worker/otlp";
import { retryDelayMs } from "../../worker/retry-delay";
import { createDb } from "../../worker/storage/db";
import { sha256Hex } from "../../worker/storage/hash";
import { otlpSegmentKey } from "../../worker/storage/otlp-keys";
import { compressForStorage, type PutOutcome, sliceRef, TraceStore } from "../../worker/storage/r2";
import type { TraceState } from "../../worker/storage/trace-index";
import type {
  OtlpTraceView,
  RecordedTrace,
  RecordOutcome,
  RecordSpansRequest,
  RecordSpansResult,
  TraceRecord,
} from "./contract";
import { flushToIndex, nextIndexAt } from "./index-flush";
import { PrunedSpanReader, PrunedSpansUnreadableError } from "./pruned-spans";
import { TRACE_SHARD_SCHEMA } from "./schema";
import { type DueTrace, OtlpSpanStore, type StoredSpans } from "./span-store";

/** Rows handed on per alarm run; keeps each run well inside the alarm's time budget. */
const FLUSH_BATCH = 400;
/** OTLP traces assembled per alarm run, for the same reason. */
const ASSEMBLE_BATCH = 100;
/** A segment key taken by other bytes (an earlier instance, same millisecond) moves on to the next sequence number, this many times. */
const MAX_SEGMENT_KEY_ATTEMPTS = 8;

export class TraceShard extends DurableObject<Env> {
  /** When the alarm is set for, mirrored in memory to avoid a storage read per request. */
  private alarmAt: number | null = null;
  private consecutiveFailures = 0;
  /** Numbers this instance's segments within a millisecond. */
  private segmentSeq = 0;
  private readonly otlp: OtlpSpanStore;
  /** Built once: drizzle derives its schema metadata on creation, which is not free at this rate. */
  private db: { binding: D1Database; db: ReturnType<typeof createDb> } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(TRACE_SHARD_SCHEMA);
      this.alarmAt = await ctx.storage.getAlarm();
    });
    this.otlp = new OtlpSpanStore(ctx.storage.sql);
  }

  /**
   * Records traces whose bytes are already in R2. Same id and same SHA-256 as a
   * recorded trace is a duplicate (a client retry); same id with other content is a
   * conflict and is not recorded.
   */
  async record(records: TraceRecord[]): Promise<RecordOutcome[]> {
    const sql = this.ctx.storage.sql;
    const outcomes = records.map((rec): RecordOutcome => {
      const existing = sql
        .exec<{ sha256: string; agent: string }>(
          "SELECT sha256, agent FROM traces WHERE project_id = ? AND id = ?",
          rec.projectId,
          rec.id,
        )
        .toArray()[0];
      if (existing) return existing.sha256 === rec.sha256 && existing.agent === rec.agent ? "duplicate" : "conflict";
      sql.exec(
        "INSERT INTO traces (project_id, id, record, sha256, agent, state) VALUES (?, ?, ?, ?, ?, 'finished')",
        rec.projectId,
        rec.id,
        JSON.stringify(rec),
        rec.sha256,
        rec.agent,
      );
      return "new";
    });
    if (outcomes.includes("new")) await this.scheduleFlush();
    return outcomes;
  }

  /**
   * Records the OTLP spans of the traces this shard owns, whose request bytes are
   * already in R2. Idempotent per (project, trace id, span id); one transaction.
   */
  async recordSpans(req: RecordSpansRequest): Promise<RecordSpansResult> {
    const config = loadConfig(this.env);
    const periods = { quietMs: config.OTLP_QUIET_MS, rootlessQuietMs: config.OTLP_ROOTLESS_QUIET_MS };
    const now = Date.now();
    const { earliestDue, indexAt, ...result } = this.ctx.storage.transactionSync(() =>
      this.otlp.record(req, periods, now),
    );
    if (indexAt !== null) await (indexAt <= now ? this.scheduleFlush() : this.armAlarm(indexAt));
    if (earliestDue !== null) await this.armAlarm(earliestDue);
    return result;
  }

  /**
   * An OTLP trace as it stands: while spans may still come, assembled from the spans
   * stored so far; once finished, where its assembled revision is in R2.
   */
  async otlpTrace(projectId: string, id: string): Promise<(OtlpTraceView & { traceJson?: string }) | null> {
    const view = this.otlp.view(projectId, id);
    if (!view) return null;
    if (!view.assembling) return view;
    let spans: Awaited<ReturnType<PrunedSpanReader["spansOf"]>>;
    try {
      spans = await new PrunedSpanReader(new TraceStore(this.env.TRACES)).spansOf(
        id,
        this.otlp.storedSpans(projectId, [id]).get(id)!,
      );
    } catch (err) {
      if (!this.quarantinedFor(err, projectId, id)) throw err;
      // The alarm may have no other reason to run: without this, the index would go on calling the trace assembling.
      await this.scheduleFlush();
      return { ...view, state: "quarantined", assembling: false };
    }
    // As JSON: span payloads are arbitrary values, which RPC types cannot describe.
    return { ...view, traceJson: JSON.stringify(assembleTrace(spans)) };
  }

  /** A recorded trace, whether or not it has reached the D1 index yet. */
  async lookup(projectId: string, id: string): Promise<RecordedTrace | null> {
    const row = this.ctx.storage.sql
      .exec<{ record: string; state: string }>(
        "SELECT record, state FROM traces WHERE project_id = ? AND id = ?",
        projectId,
        id,
      )
      .toArray()[0];
    return row ? { ...(JSON.parse(row.record) as TraceRecord), state: row.state as TraceState } : null;
  }

  /** Marks a trace quarantined here too, so a not-yet-indexed row reaches D1 in that state. */
  async quarantine(projectId: string, id: string): Promise<void> {
    this.ctx.storage.sql.exec("UPDATE traces SET state = 'quarantined' WHERE project_id = ? AND id = ?", projectId, id);
  }

  /** Count of records not yet in D1 or not yet handed to their window (for tests and health). */
  async pendingCount(): Promise<number> {
    return this.ctx.storage.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM traces WHERE indexed = 0 OR (forwarded = 0 AND state = 'finished')",
      )
      .one().n;
  }

  /**
   * Alarms are at-least-once and every step of a flush is idempotent. A failure (D1
   * or a window unavailable) re-arms the alarm with a growing delay instead of
   * letting the runtime's limited automatic retries give up on the records.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    let failure: unknown = null;
    let more = false;
    // Assembly first, so traces finished in this run reach D1 and their window in the same run.
    try {
      more = await this.finishQuietTraces();
    } catch (err) {
      failure = err;
    }
    try {
      more = (await this.flush()) || more;
    } catch (err) {
      failure ??= err;
    }
    if (failure) {
      const attempt = ++this.consecutiveFailures;
      // One line: a failing dependency is retried here, and a stack per retry would only bury the message.
      console.error(`TraceShard alarm failed (attempt ${attempt}); retrying: ${messageOf(failure)}`);
      await this.armAlarm(Date.now() + retryDelayMs(attempt, 250, 60_000));
      return;
    }
    this.consecutiveFailures = 0;
    const next = [this.otlp.nextDueAt(), this.nextIndexAt()].filter((at) => at !== null);
    if (more) await this.armAlarm(Date.now());
    else if (next.length > 0) await this.armAlarm(Math.min(...next));
  }

  private async scheduleFlush(delayMs = loadConfig(this.env).INDEX_FLUSH_DELAY_MS): Promise<void> {
    await this.armAlarm(Date.now() + delayMs);
  }

  /** The one alarm serves every due item, so it is only ever moved earlier. */
  private async armAlarm(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  /**
   * Assembles the OTLP traces whose quiet period has passed, stores them in R2 as one
   * segment per project and marks each finished for the flush. Returns true when more
   * are due.
   */
  private async finishQuietTraces(): Promise<boolean> {
    const due = this.otlp.dueTraces(Date.now(), ASSEMBLE_BATCH);
    const store = new TraceStore(this.env.TRACES);
    for (const [projectId, traces] of Map.groupBy(due, (trace) => trace.projectId)) {
      await this.finishTraces(store, projectId, traces);
    }
    return due.length === ASSEMBLE_BATCH;
  }

  private database() {
    if (this.db?.binding !== this.env.DB) this.db = { binding: this.env.DB, db: createDb(this.env.DB) };
    return this.db.db;
  }

  /**
   * One R2 put for every trace finished in this run: a put costs far more than its
   * bytes, and all of it is on the one thread that also answers ingest. Each trace
   * keeps its own SHA-256 over its own slice, so a read verifies (and corruption
   * quarantines) one trace, never the segment as a whole.
   */
  private async finishTraces(store: TraceStore, projectId: string, due: DueTrace[]): Promise<void> {
    const encoder = new TextEncoder();
    const pruned = new PrunedSpanReader(store);
    // One read for all of them; a span arriving after it bumps its trace's change_seq, so that revision is not committed.
    const stored = this.otlp.storedSpans(
      projectId,
      due.map((trace) => trace.id),
    );
    const slices: {
      due: DueTrace;
      assembled: ReturnType<typeof assembleTrace>;
      jsonBytes: number;
      bytes: Uint8Array;
    }[] = [];
    for (const trace of due) {
      const assembled = await this.assemble(trace, pruned, stored.get(trace.id)!);
      if (!assembled) continue;
      // Each trace's JSON line compressed on its own, so a slice decompresses alone.
      const json = encoder.encode(`${JSON.stringify(assembled)}\n`);
      slices.push({ due: trace, assembled, jsonBytes: json.byteLength - 1, bytes: compressForStorage(json) });
    }
    if (slices.length === 0) return;
    const hashes = await Promise.all(slices.map((slice) => sha256Hex(slice.bytes)));
    const segment = new Uint8Array(slices.reduce((n, slice) => n + slice.bytes.byteLength, 0));
    const offsets: number[] = [];
    let offset = 0;
    for (const slice of slices) {
      offsets.push(offset);
      segment.set(slice.bytes, offset);
      offset += slice.bytes.byteLength;
    }
    const segmentSha256 = await sha256Hex(segment);
    let key: string;
    let outcome: PutOutcome;
    for (let attempt = 1; ; attempt++) {
      key = otlpSegmentKey(projectId, this.ctx.id.toString(), Date.now(), String(++this.segmentSeq));
      outcome = await store.putCreateOnly(key, segment, segmentSha256, "application/octet-stream");
      // "different": a key an earlier instance of this shard used in the same millisecond.
      if (outcome !== "different") break;
      if (attempt >= MAX_SEGMENT_KEY_ATTEMPTS)
        throw new Error(`no free segment key for shard ${this.ctx.id.toString()}`);
    }
    const committed = this.ctx.storage.transactionSync(
      () =>
        this.otlp.commitRevisions(
          projectId,
          slices.map(({ due: trace, assembled, jsonBytes, bytes }, i) => ({
            due: trace,
            revision: trace.revision + 1,
            record: {
              projectId,
              id: trace.id,
              agent: assembled.agent,
              version: assembled.version ?? null,
              source: "otlp",
              startTime: assembled.startTime ?? null,
              endTime: assembled.endTime ?? null,
              latencyMs: traceLatencyMs(assembled),
              status: assembled.status,
              spanCount: assembled.spans.length,
              sha256: hashes[i]!,
              sizeBytes: jsonBytes,
              r2Key: sliceRef(key, offsets[i]!, bytes.byteLength),
              receivedAt: trace.receivedAt,
            },
          })),
        ).size,
    );
    // Every trace got a span while the segment was written: each is stale and due again, and nothing refers to the segment.
    // (A stale trace in a segment that others use just leaves its slice unreferenced.)
    if (committed === 0 && outcome === "created") await store.delete(key);
  }

  /**
   * The trace assembled from its stored spans, or null when that fails: a trace whose
   * earlier spans cannot be read back is quarantined, any other failure set aside.
   */
  private async assemble(
    due: DueTrace,
    pruned: PrunedSpanReader,
    stored: StoredSpans,
  ): Promise<ReturnType<typeof assembleTrace> | null> {
    try {
      return assembleTrace(await pruned.spansOf(due.id, stored));
    } catch (err) {
      if (this.quarantinedFor(err, due.projectId, due.id)) return null;
      // Deterministic: retrying now would fail again and hold up every other trace.
      console.error(`TraceShard could not assemble OTLP trace ${due.id}; retrying in an hour`, err);
      this.otlp.postpone(due, Date.now() + 3_600_000);
      return null;
    }
  }

  /** Quarantines the trace when `err` says its pruned spans cannot be read back; true when it did. */
  private quarantinedFor(err: unknown, projectId: string, id: string): boolean {
    if (!(err instanceof PrunedSpansUnreadableError)) return false;
    console.error(`TraceShard quarantines OTLP trace ${id}: ${err.message}`);
    this.otlp.quarantine(projectId, id);
    return true;
  }

  /** When the next row may go into the index (see NEXT_INDEX_AT_SQL; rows held are new OTLP traces, see OtlpSpanStore.record). */
  private nextIndexAt(): number | null {
    return nextIndexAt(this.ctx.storage.sql, Date.now());
  }

  /** One round of hand-offs; returns true when more rows are waiting. */
  private flush(): Promise<boolean> {
    return flushToIndex(this.ctx.storage.sql, this.database(), this.env, FLUSH_BATCH);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
