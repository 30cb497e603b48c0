/**
 * @module Typed stubs for the Durable Objects, and the rule that names them: one
 * TraceShard per (project, hash(trace id) mod TRACE_SHARDS), one AgentWindow per
 * (project, agent). The Worker reaches the TraceShard's request and record types
 * through here (they live in the shard's contract module, a leaf).
 */
import { loadConfig } from "../config";
import { fnv1aCodeUnits } from "../fnv1a";

export type {
  OtlpBatchRef,
  OtlpTraceSpans,
  OtlpTraceView,
  RecordedTrace,
  RecordOutcome,
  RecordSpansRequest,
  RecordSpansResult,
  TraceRecord,
} from "../../durable-objects/trace-shard/contract";

/** FNV-1a: fast, synchronous and stable, so a trace id always maps to the same shard. */
export function shardOf(traceId: string, shards: number): number {
  return (fnv1aCodeUnits(traceId) >>> 0) % shards;
}

/**
 * `idFromName` hashes the name on every call, several times per request on the OTLP
 * path; an id is a plain value, so it is derived once per shard and kept (stubs are
 * not: they belong to a request).
 */
const shardIds = new WeakMap<Env["TRACE_SHARD"], Map<string, DurableObjectId>>();
const MAX_CACHED_SHARD_IDS = 10_000;

export function traceShardAt(env: Env, projectId: string, shard: number) {
  const namespace = env.TRACE_SHARD;
  let ids = shardIds.get(namespace);
  if (!ids) shardIds.set(namespace, (ids = new Map()));
  const name = `${projectId}/${shard}`;
  let id = ids.get(name);
  if (!id) {
    id = namespace.idFromName(name);
    if (ids.size >= MAX_CACHED_SHARD_IDS) ids.clear();
    ids.set(name, id);
  }
  return namespace.get(id);
}

export function traceShard(env: Env, projectId: string, traceId: string) {
  return traceShardAt(env, projectId, shardOf(traceId, loadConfig(env).TRACE_SHARDS));
}

export function agentWindow(env: Env, projectId: string, agent: string) {
  return env.AGENT_WINDOW.get(env.AGENT_WINDOW.idFromName(JSON.stringify([projectId, agent])));
}
