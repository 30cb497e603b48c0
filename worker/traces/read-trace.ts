/**
 * @module Reading a stored trace: find its index row (D1, or the TraceShard when the
 * row has not been flushed yet), fetch the bytes from R2 and re-verify the SHA-256.
 * A mismatch quarantines the trace everywhere and is reported, never served.
 *
 * OTLP traces are read through their TraceShard, which is ahead of D1: while spans
 * may still come (`assembling`), the trace is assembled from the spans stored so
 * far; once finished, its latest revision is read from R2 like a native trace.
 */
import { traceLatencyMs, type Trace } from "../domain/trace";
import { ApiError, notFound } from "../errors";
import type { Db } from "../storage/db";
import { traceShard } from "../storage/durable-objects";
import { TraceCorruptedError, TraceStore } from "../storage/r2";
import { findTraceRow, setTraceState, type TraceState } from "../storage/trace-index";

export interface TraceLocation {
  id: string;
  source: string;
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
  if (location.source === "otlp") return readOtlpTrace(env, db, projectId, location);
  return readStoredTrace(env, db, projectId, location);
}

async function readStoredTrace(env: Env, db: Db, projectId: string, location: TraceLocation) {
  const { id } = location;
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

async function readOtlpTrace(env: Env, db: Db, projectId: string, location: TraceLocation) {
  const current = await traceShard(env, projectId, location.id).otlpTrace(projectId, location.id);
  if (!current) return readStoredTrace(env, db, projectId, location);
  const { record, revision } = current;
  // The shard knows first when a trace's stored bytes turn out unreadable (while assembling it, too).
  if (current.state === "quarantined") {
    await quarantineTrace(env, db, projectId, location.id);
    throw corrupted(location.id);
  }
  if (current.traceJson !== undefined) {
    const trace = JSON.parse(current.traceJson) as Trace;
    return {
      ...trace,
      state: "assembling" as const,
      revision,
      latencyMs: traceLatencyMs(trace),
      sha256: null,
      sizeBytes: null,
      receivedAt: record.receivedAt,
    };
  }
  // D1 may know more about this revision than the shard (`graded`), and the shard more about newer ones.
  const state = location.sha256 === record.sha256 ? location.state : (current.state as TraceState);
  if (state === "quarantined") throw corrupted(location.id);
  const stored = await readStoredTrace(env, db, projectId, { ...location, ...record, state });
  return { ...stored, revision };
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
