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
 * and hands it on like a native trace. The object has one alarm, always armed for
 * the earliest due item (an index flush or a trace falling quiet).
 */
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../worker/config";
import { traceLatencyMs } from "../worker/domain/trace";
import { otlpRevisionKey, type RecordSpansRequest, type RecordSpansResult } from "../worker/ingest/otlp-objects";
import { migrateLegacySpans, OTLP_SHARD_SCHEMA, OtlpSpanStore, type DueTrace, type OtlpTraceView } from "../worker/ingest/otlp-span-store";
import { assembleTrace, type OtlpSpanRecord } from "../worker/otlp";
import { createDb } from "../worker/storage/db";
import { agentWindow } from "../worker/storage/durable-objects";
import { sha256Hex } from "../worker/storage/hash";
import { TraceStore } from "../worker/storage/r2";
import { insertTraceRows, upsertTraceRows, type TraceRow, type TraceState } from "../worker/storage/trace-index";

/** What ingest knows about a trace once its bytes are stored. */
export interface TraceRecord {
  projectId: string;
  id: string;
  agent: string;
  version: string | null;
  source: "native" | "otlp";
  startTime: string | null;
  endTime: string | null;
  latencyMs: number | null;
  status: "ok" | "error";
  spanCount: number;
  sha256: string;
  sizeBytes: number;
  r2Key: string;
  receivedAt: string;
}

export type RecordOutcome = "new" | "duplicate" | "conflict";

export interface RecordedTrace extends TraceRecord {
  state: TraceState;
}

/** Rows handed on per alarm run; keeps each run well inside the alarm's time budget. */
const FLUSH_BATCH = 400;
/** OTLP traces assembled per alarm run, for the same reason. */
const ASSEMBLE_BATCH = 100;
/** A revision key taken by other bytes (a crashed earlier attempt) moves on to the next revision, this many times. */
const MAX_REVISION_ATTEMPTS = 8;

export class TraceShard extends DurableObject<Env> {
  /** When the alarm is set for, mirrored in memory to avoid a storage read per request. */
  private alarmAt: number | null = null;
  private consecutiveFailures = 0;
  private readonly otlp: OtlpSpanStore;
  /** Built once: drizzle derives its schema metadata on creation, which is not free at this rate. */
  private db: { binding: D1Database; db: ReturnType<typeof createDb> } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`
        CREATE TABLE IF NOT EXISTS traces (
          project_id TEXT NOT NULL,
          id TEXT NOT NULL,
          record TEXT NOT NULL,
          sha256 TEXT NOT NULL,
          agent TEXT NOT NULL,
          state TEXT NOT NULL,
          indexed INTEGER NOT NULL DEFAULT 0,
          forwarded INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (project_id, id)
        );
        CREATE INDEX IF NOT EXISTS traces_pending ON traces (indexed, forwarded);
      `);
      ctx.storage.sql.exec(OTLP_SHARD_SCHEMA);
      migrateLegacySpans(ctx.storage.sql);
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
    const { earliestDue, ...result } = this.ctx.storage.transactionSync(() => this.otlp.record(req, periods, Date.now()));
    if (result.accepted > 0) await this.scheduleFlush();
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
    // As JSON: span payloads are arbitrary values, which RPC types cannot describe.
    return { ...view, traceJson: JSON.stringify(assembleTrace(this.otlp.spansOf(projectId, id))) };
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
    this.ctx.storage.sql.exec(
      "UPDATE traces SET state = 'quarantined' WHERE project_id = ? AND id = ?",
      projectId,
      id,
    );
  }

  /** Count of records not yet in D1 or not yet handed to their window (for tests and health). */
  async pendingCount(): Promise<number> {
    return this.ctx.storage.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM traces WHERE indexed = 0 OR (forwarded = 0 AND state = 'finished')")
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
      console.error(`TraceShard alarm failed (attempt ${attempt}); retrying`, failure);
      await this.armAlarm(Date.now() + Math.min(60_000, 250 * 2 ** Math.min(attempt, 8)));
      return;
    }
    this.consecutiveFailures = 0;
    const nextDue = this.otlp.nextDueAt();
    if (more) await this.armAlarm(Date.now());
    else if (nextDue !== null) await this.armAlarm(nextDue);
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
   * Assembles the OTLP traces whose quiet period has passed, stores each as a new
   * revision in R2 and marks it finished for the flush. Returns true when more are due.
   */
  private async finishQuietTraces(): Promise<boolean> {
    const due = this.otlp.dueTraces(Date.now(), ASSEMBLE_BATCH);
    const store = new TraceStore(this.env.TRACES);
    // The R2 writes overlap; each trace commits on its own, so one failure leaves the others finished.
    const outcomes = await Promise.allSettled(due.map((trace) => this.finishTrace(store, trace)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw failed.reason;
    return due.length === ASSEMBLE_BATCH;
  }

  private database() {
    if (this.db?.binding !== this.env.DB) this.db = { binding: this.env.DB, db: createDb(this.env.DB) };
    return this.db.db;
  }

  private async finishTrace(store: TraceStore, due: DueTrace): Promise<void> {
    let assembled: ReturnType<typeof assembleTrace>;
    let spans: OtlpSpanRecord[];
    try {
      spans = this.otlp.spansOf(due.projectId, due.id);
      assembled = assembleTrace(spans);
    } catch (err) {
      // Deterministic: retrying now would fail again and hold up every other trace.
      console.error(`TraceShard could not assemble OTLP trace ${due.id}; retrying in an hour`, err);
      this.otlp.postpone(due, Date.now() + 3_600_000);
      return;
    }
    const bytes = new TextEncoder().encode(JSON.stringify(assembled));
    const sha256 = await sha256Hex(bytes);
    let revision = due.revision + 1;
    let key = otlpRevisionKey(due.projectId, assembled.agent, due.id, revision);
    let outcome = await store.putCreateOnly(key, bytes, sha256);
    for (let attempt = 1; outcome === "different"; attempt++) {
      if (attempt >= MAX_REVISION_ATTEMPTS) throw new Error(`no free revision key for OTLP trace ${due.id}`);
      key = otlpRevisionKey(due.projectId, assembled.agent, due.id, ++revision);
      outcome = await store.putCreateOnly(key, bytes, sha256);
    }
    const committed = this.ctx.storage.transactionSync(() =>
      this.otlp.commitRevision(due, revision, {
        projectId: due.projectId,
        id: due.id,
        agent: assembled.agent,
        version: assembled.version ?? null,
        source: "otlp",
        startTime: assembled.startTime ?? null,
        endTime: assembled.endTime ?? null,
        latencyMs: traceLatencyMs(assembled),
        status: assembled.status,
        spanCount: assembled.spans.length,
        sha256,
        sizeBytes: bytes.byteLength,
        r2Key: key,
        receivedAt: due.receivedAt,
      }),
    );
    // A span came in while the revision was written: it is stale, and the trace is due again later.
    if (!committed && outcome === "created") await store.delete(key);
  }

  /** One round of hand-offs; returns true when more rows are waiting. */
  private async flush(): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    const pendingRows = sql
      .exec<{ record: string; state: string }>(
        "SELECT record, state FROM traces WHERE indexed = 0 LIMIT ?",
        FLUSH_BATCH,
      )
      .toArray();
    const unindexed = pendingRows.map((row) => ({ ...(JSON.parse(row.record) as TraceRecord), state: row.state as TraceState }));
    if (unindexed.length > 0) {
      const db = this.database();
      // Native rows never change once written; OTLP rows move through revisions and states.
      await insertTraceRows(db, unindexed.filter((rec) => rec.source !== "otlp").map(toIndexRow));
      await upsertTraceRows(db, unindexed.filter((rec) => rec.source === "otlp").map(toIndexRow));
      // An OTLP row may have changed while D1 was written (the await lets requests in); it then stays pending.
      // One statement for the whole batch, the rows passed as JSON.
      sql.exec(
        `UPDATE traces SET indexed = 1
         FROM (SELECT value ->> 0 AS project_id, value ->> 1 AS id, value ->> 2 AS record, value ->> 3 AS state FROM json_each(?)) AS done
         WHERE traces.project_id = done.project_id AND traces.id = done.id AND traces.record = done.record AND traces.state = done.state`,
        JSON.stringify(pendingRows.map((row, i) => [unindexed[i]!.projectId, unindexed[i]!.id, row.record, row.state])),
      );
    }

    const forwardRows = sql
      .exec<{ record: string }>(
        "SELECT record FROM traces WHERE indexed = 1 AND forwarded = 0 AND state = 'finished' LIMIT ?",
        FLUSH_BATCH,
      )
      .toArray();
    const unforwarded = forwardRows.map((row) => JSON.parse(row.record) as TraceRecord);
    const byAgent = Map.groupBy(unforwarded, (rec) => `${rec.projectId}\u0000${rec.agent}`);
    for (const group of byAgent.values()) {
      const first = group[0]!;
      await agentWindow(this.env, first.projectId, first.agent).addFinished(
        { projectId: first.projectId, agent: first.agent },
        group.map((rec) => ({ traceId: rec.id, r2Key: rec.r2Key, sha256: rec.sha256, version: rec.version })),
      );
      sql.exec(
        `UPDATE traces SET forwarded = 1
         FROM (SELECT value ->> 0 AS project_id, value ->> 1 AS id, value ->> 2 AS sha256 FROM json_each(?)) AS done
         WHERE traces.project_id = done.project_id AND traces.id = done.id AND traces.sha256 = done.sha256`,
        JSON.stringify(group.map((rec) => [rec.projectId, rec.id, rec.sha256])),
      );
    }
    return unindexed.length === FLUSH_BATCH || unforwarded.length === FLUSH_BATCH;
  }
}

function toIndexRow(rec: RecordedTrace): TraceRow {
  return {
    projectId: rec.projectId,
    id: rec.id,
    agent: rec.agent,
    version: rec.version,
    source: rec.source,
    startTime: rec.startTime,
    endTime: rec.endTime,
    latencyMs: rec.latencyMs,
    status: rec.status,
    spanCount: rec.spanCount,
    sha256: rec.sha256,
    sizeBytes: rec.sizeBytes,
    r2Key: rec.r2Key,
    state: rec.state,
    receivedAt: rec.receivedAt,
    updatedAt: rec.receivedAt,
  };
}
