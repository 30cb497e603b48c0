// Generated from client/src by `npm run build:client`. Do not edit.
/**
 * @module Flywheel's client: trace an agent (`Flywheel`), or send native traces
 * yourself (`FlywheelClient`). Runs on Node 20+, Workers, Deno, Bun and browsers.
 */
export { Flywheel, type FlywheelOptions, type TraceOptions } from "./flywheel.js";
export { FlywheelClient, FlywheelError, type FlywheelClientOptions, type IngestResult, type TraceResult, } from "./http-client.js";
export type { DropEvent, DropReason, FlywheelStats } from "./batcher.js";
export type { RunDetails, Scope, SpanDetails, SpanType, Usage } from "./recorder.js";
export { canonicalTrace, deriveTraceId } from "./trace-id.js";
