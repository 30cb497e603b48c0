/**
 * @module The TraceShard's hand-off of its rows: into the D1 index (in coalesced
 * batches), then, once indexed and finished, to their agent's AgentWindow. Each step
 * is marked done only after it succeeds, so a failure means a retry, never a loss or
 * a double count. Runs from the shard's alarm.
 */
import { agentWindow } from "../../worker/storage/durable-objects";
import type { createDb } from "../../worker/storage/db";
import { insertTraceRows, type TraceRow, type TraceState, upsertTraceRows } from "../../worker/storage/trace-index";
import type { RecordedTrace, TraceRecord } from "./contract";

/**
 * Rows not yet in the D1 index that may go in now: those never held, then those whose
 * hold has passed. Two index seeks; rows still held (every new OTLP trace, for its quiet
 * period) are never visited. Parameters: now, limit.
 */
export const DUE_FOR_INDEX_SQL = `SELECT record, state FROM traces WHERE indexed = 0 AND index_after IS NULL
  UNION ALL SELECT record, state FROM traces WHERE indexed = 0 AND index_after <= ?
  LIMIT ?`;

/**
 * When the next row may go into the index: now (the parameter) when one may go in
 * already, which a flush leaves behind when the row changed while D1 was written;
 * else when the earliest hold ends; null when every row is indexed. Index seeks only.
 */
export const NEXT_INDEX_AT_SQL = `SELECT CASE WHEN EXISTS (SELECT 1 FROM traces WHERE indexed = 0 AND index_after IS NULL) THEN ?
  ELSE (SELECT min(index_after) FROM traces WHERE indexed = 0) END AS at`;

/** When the next row may go into the index (see NEXT_INDEX_AT_SQL). */
export function nextIndexAt(sql: SqlStorage, now: number): number | null {
  return sql.exec<{ at: number | null }>(NEXT_INDEX_AT_SQL, now).one().at;
}

/** One round of hand-offs, at most `batch` rows each; returns true when more rows are waiting. */
export async function flushToIndex(
  sql: SqlStorage,
  db: ReturnType<typeof createDb>,
  env: Env,
  batch: number,
): Promise<boolean> {
  const pendingRows = sql.exec<{ record: string; state: string }>(DUE_FOR_INDEX_SQL, Date.now(), batch).toArray();
  const unindexed = pendingRows.map((row) => ({
    ...(JSON.parse(row.record) as TraceRecord),
    state: row.state as TraceState,
  }));
  if (unindexed.length > 0) {
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
      batch,
    )
    .toArray();
  const unforwarded = forwardRows.map((row) => JSON.parse(row.record) as TraceRecord);
  const byAgent = Map.groupBy(unforwarded, (rec) => `${rec.projectId}\u0000${rec.agent}`);
  for (const group of byAgent.values()) {
    const first = group[0]!;
    await agentWindow(env, first.projectId, first.agent).addFinished(
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
  return unindexed.length === batch || unforwarded.length === batch;
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
