/**
 * @module R2 keys and the hand-over shapes of the OTLP write path: the raw request
 * object (content-addressed, so an exporter retry finds the same key) and the
 * segments that hold assembled trace revisions (create-only, a new key per segment).
 */
import type { OtlpFormat } from "../otlp";

/**
 * The raw request, keyed by the SHA-256 of its decompressed bytes under the project,
 * so a retry finds the same key however it was compressed. The object holds the bytes
 * compressed (its `contentEncoding` custom metadata says how; see TraceStore.putContentAddressed).
 */
export function otlpBatchKey(projectId: string, contentSha256: string, format: OtlpFormat): string {
  return `otlp/${projectId}/${contentSha256}.${format === "json" ? "json" : "pb"}`;
}

/**
 * One segment: the trace revisions a TraceShard assembled in one alarm run, as JSON
 * lines, each line compressed on its own (brotli), so one trace reads and decompresses
 * alone; the object is those streams back to back, not one brotli stream. One put per run instead of one per trace is what keeps assembly cheap; each
 * trace is then read back as its own byte range (see `sliceRef`). A late span
 * re-assembles a trace into a later segment, so a stored object is never overwritten.
 */
export function otlpSegmentKey(projectId: string, shard: string, writtenAt: number, nonce: string): string {
  return `traces/${projectId}/segments/${shard}/${writtenAt}-${nonce}.jsonl.br`;
}

/** Where a request's raw bytes are in R2; the provenance of every span it carried. */
export interface OtlpBatchRef {
  key: string;
  /** Of the bytes stored under `key` (compressed). */
  sha256: string;
  /** Of the decompressed request. */
  sizeBytes: number;
}

/** The spans of one trace in one request, as handed to the TraceShard that owns the trace id. */
export interface OtlpTraceSpans {
  traceId: string;
  /** The agent these spans alone suggest; fixed from all spans when the trace is assembled. */
  agent: string;
  /**
   * The span ids, 16 hex characters each, back to back: one string crosses to the
   * shard far cheaper than an array per span.
   */
  spanIds: string;
  /** Indexes (into `spanIds`) of the spans without a parent. */
  roots: number[];
  /**
   * What the spans hold. From a protobuf request: ExportTraceServiceRequests cut out of
   * it holding only these spans (bytes copied, decoded once at assembly). From a JSON
   * request: each span's OtlpSpanRecord as JSON, `resourceRef` naming its resource, in `spanIds` order.
   */
  content: { protobuf: Uint8Array[] } | { records: string[] };
}

export interface RecordSpansRequest {
  projectId: string;
  batch: OtlpBatchRef;
  receivedAt: string;
  /**
   * [SHA-256 of the JSON, the JSON] of each resource JSON records name by `resourceRef`:
   * a resource is shared by every span of a ResourceSpans, so it is stored once.
   */
  resources: [hash: string, json: string][];
  traces: OtlpTraceSpans[];
}

export interface RecordSpansResult {
  /** Spans stored now. */
  accepted: number;
  /** Spans already stored (an exporter retry); counted once. */
  duplicates: number;
  /** Trace ids already used by a native trace: their spans are refused. */
  conflicts: { traceId: string; spans: number }[];
}
