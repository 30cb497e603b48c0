/**
 * @module OTLP/HTTP traces: decoding (protobuf and JSON) into span records, a
 * request split per trace for the shards, response bodies, and the mapping of a
 * trace's spans into Flywheel's `Trace`. Pure: no bindings, no I/O.
 */
export { decodeOtlpTraces, otlpFormatOf } from "./decode.js";
export type { OtlpFormat } from "./decode.js";
export { decodeJsonTraces } from "./decode-json.js";
export { OtlpDecodeError, RPC_CODE_INVALID_ARGUMENT } from "./errors.js";
export { MAX_REJECTION_REASONS, nanosToIso } from "./span-record.js";
export type { OtlpDecodeResult, OtlpEventRecord, OtlpRejections, OtlpScope, OtlpSpanRecord } from "./span-record.js";
export { encodeExportTraceResponse, encodeRpcStatus, otlpContentType, partialSuccessOf } from "./encode-response.js";
export type { OtlpPartialSuccess } from "./encode-response.js";
export { assembleTrace, groupSpansByTrace } from "./assemble-trace.js";
export { UNKNOWN_AGENT, agentOfSpan, agentOfTrace } from "./agent.js";
export { mapSpan } from "./map-span.js";
export type { MapSpanContext } from "./map-span.js";
export { spanTypeOf } from "./span-type.js";
export { spansByTraceOf, tracePieces, MAX_SPAN_RECORD_BYTES } from "./trace-pieces";
export type { TracePieces } from "./trace-pieces";
export { findRoot, resolveParents } from "./span-tree.js";
