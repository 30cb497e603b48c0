/**
 * @module AgentWindow: one per (project, agent). Receives finished traces from the
 * TraceShards and keeps them in the agent's open grade window. Hand-off is
 * idempotent on the trace id, so a TraceShard that retries never adds a trace twice.
 */
import { DurableObject } from "cloudflare:workers";

export interface FinishedTraceRef {
  traceId: string;
  r2Key: string;
  sha256: string;
  version: string | null;
}

export class AgentWindow extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`
        CREATE TABLE IF NOT EXISTS window_traces (
          trace_id TEXT PRIMARY KEY,
          r2_key TEXT NOT NULL,
          sha256 TEXT NOT NULL,
          version TEXT,
          added_at INTEGER NOT NULL
        );
      `);
    });
  }

  async addFinished(refs: FinishedTraceRef[]): Promise<number> {
    let added = 0;
    for (const ref of refs) {
      const cursor = this.ctx.storage.sql.exec(
        "INSERT OR IGNORE INTO window_traces (trace_id, r2_key, sha256, version, added_at) VALUES (?, ?, ?, ?, ?)",
        ref.traceId,
        ref.r2Key,
        ref.sha256,
        ref.version,
        Date.now(),
      );
      added += cursor.rowsWritten;
    }
    return added;
  }

  async size(): Promise<number> {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM window_traces").one().n;
  }
}
