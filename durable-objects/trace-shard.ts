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
 */
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../worker/config";
import { createDb } from "../worker/storage/db";
import { agentWindow } from "../worker/storage/durable-objects";
import { insertTraceRows, type TraceRow, type TraceState } from "../worker/storage/trace-index";

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

export class TraceShard extends DurableObject<Env> {
  private flushScheduled = false;
  private consecutiveFailures = 0;

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
      this.flushScheduled = (await ctx.storage.getAlarm()) !== null;
    });
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
    this.flushScheduled = false;
    try {
      const more = await this.flush();
      this.consecutiveFailures = 0;
      if (more) await this.scheduleFlush(0);
    } catch (err) {
      const attempt = ++this.consecutiveFailures;
      console.error(`TraceShard flush failed (attempt ${attempt}); retrying`, err);
      await this.scheduleFlush(Math.min(60_000, 250 * 2 ** Math.min(attempt, 8)));
    }
  }

  private async scheduleFlush(delayMs = loadConfig(this.env).INDEX_FLUSH_DELAY_MS): Promise<void> {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    await this.ctx.storage.setAlarm(Date.now() + delayMs);
  }

  /** One round of hand-offs; returns true when more rows are waiting. */
  private async flush(): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    const unindexed = sql
      .exec<{ record: string; state: string }>(
        "SELECT record, state FROM traces WHERE indexed = 0 LIMIT ?",
        FLUSH_BATCH,
      )
      .toArray()
      .map((row) => ({ ...(JSON.parse(row.record) as TraceRecord), state: row.state as TraceState }));
    if (unindexed.length > 0) {
      await insertTraceRows(createDb(this.env.DB), unindexed.map(toIndexRow));
      for (const rec of unindexed) {
        sql.exec("UPDATE traces SET indexed = 1 WHERE project_id = ? AND id = ?", rec.projectId, rec.id);
      }
    }

    const unforwarded = sql
      .exec<{ record: string }>(
        "SELECT record FROM traces WHERE indexed = 1 AND forwarded = 0 AND state = 'finished' LIMIT ?",
        FLUSH_BATCH,
      )
      .toArray()
      .map((row) => JSON.parse(row.record) as TraceRecord);
    const byAgent = Map.groupBy(unforwarded, (rec) => `${rec.projectId}\u0000${rec.agent}`);
    for (const group of byAgent.values()) {
      const first = group[0]!;
      await agentWindow(this.env, first.projectId, first.agent).addFinished(
        group.map((rec) => ({ traceId: rec.id, r2Key: rec.r2Key, sha256: rec.sha256, version: rec.version })),
      );
      for (const rec of group) {
        sql.exec("UPDATE traces SET forwarded = 1 WHERE project_id = ? AND id = ?", rec.projectId, rec.id);
      }
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
