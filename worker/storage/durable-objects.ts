/**
 * @module Typed stubs for the Durable Objects, and the rule that names them: one
 * TraceShard per (project, hash(trace id) mod TRACE_SHARDS), one AgentWindow per
 * (project, agent).
 */
import { loadConfig } from "../config";

/** FNV-1a: fast, synchronous and stable, so a trace id always maps to the same shard. */
export function shardOf(traceId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) {
    hash ^= traceId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

export function traceShardAt(env: Env, projectId: string, shard: number) {
  return env.TRACE_SHARD.get(env.TRACE_SHARD.idFromName(`${projectId}/${shard}`));
}

export function traceShard(env: Env, projectId: string, traceId: string) {
  return traceShardAt(env, projectId, shardOf(traceId, loadConfig(env).TRACE_SHARDS));
}

export function agentWindow(env: Env, projectId: string, agent: string) {
  return env.AGENT_WINDOW.get(env.AGENT_WINDOW.idFromName(JSON.stringify([projectId, agent])));
}
