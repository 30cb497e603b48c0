/**
 * @module Reading a stored trace: find its index row (D1, or the TraceShard when the
 * row has not been flushed yet), fetch the bytes from R2 and re-verify the SHA-256.
 * A mismatch quarantines the trace everywhere and is reported, never served.
 */
import { ApiError, notFound } from "../errors";
import type { Db } from "../storage/db";
import { traceShard } from "../storage/durable-objects";
import { TraceCorruptedError, TraceStore } from "../storage/r2";
import { findTraceRow, setTraceState, type TraceState } from "../storage/trace-index";

export interface TraceLocation {
  id: string;
  agent: string;
  r2Key: string;
  sha256: string;
  state: TraceState;
  receivedAt: string;
  latencyMs: number | null;
  sizeBytes: number;
}

export async function locateTrace(env: Env, db: Db, projectId: string, id: string): Promise<TraceLocation | null> {
  const row = await findTraceRow(db, projectId, id);
  if (row) return { ...row, state: row.state as TraceState };
  return traceShard(env, projectId, id).lookup(projectId, id);
}

export async function readTrace(env: Env, db: Db, projectId: string, id: string) {
  const location = await locateTrace(env, db, projectId, id);
  if (!location) throw notFound(`Trace ${id}`);
  if (location.state === "quarantined") throw corrupted(id);
  let bytes: Uint8Array | null;
  try {
    bytes = await new TraceStore(env.TRACES).getVerified(location.r2Key, location.sha256);
  } catch (err) {
    if (!(err instanceof TraceCorruptedError)) throw err;
    await quarantineTrace(env, db, projectId, id);
    throw corrupted(id);
  }
  if (!bytes) {
    await quarantineTrace(env, db, projectId, id);
    throw corrupted(id);
  }
  const trace = JSON.parse(new TextDecoder().decode(bytes)) as { id: string } & Record<string, unknown>;
  return {
    ...trace,
    state: location.state,
    latencyMs: location.latencyMs,
    sha256: location.sha256,
    sizeBytes: location.sizeBytes,
    receivedAt: location.receivedAt,
  };
}

export async function quarantineTrace(env: Env, db: Db, projectId: string, id: string): Promise<void> {
  await Promise.all([
    setTraceState(db, projectId, id, "quarantined"),
    traceShard(env, projectId, id).quarantine(projectId, id),
  ]);
}

const corrupted = (id: string) =>
  new ApiError(
    409,
    "trace_corrupted",
    `Trace ${id} failed its SHA-256 check (stored bytes missing or altered) and is quarantined; it is not served or graded. Re-send the trace under a new id.`,
  );
