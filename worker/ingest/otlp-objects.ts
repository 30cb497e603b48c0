/**
 * @module R2 keys and the hand-over shapes of the OTLP write path: the raw request
 * object (content-addressed, so an exporter retry finds the same key) and the
 * segments that hold assembled trace revisions (create-only, a new key per segment).
 */
import type { OtlpFormat } from "../otlp";

/** The raw, decompressed request bytes, keyed by their SHA-256 under the project. */
export function otlpBatchKey(projectId: string, sha256: string, format: OtlpFormat): string {
  return `otlp/${projectId}/${sha256}.${format === "json" ? "json" : "pb"}`;
}

/**
 * One segment: the trace revisions a TraceShard assembled in one alarm run, as JSON
 * lines. One put per run instead of one per trace is what keeps assembly cheap; each
 * trace is then read back as its own byte range (see `sliceRef`). A late span
 * re-assembles a trace into a later segment, so a stored object is never overwritten.
 */
export function otlpSegmentKey(projectId: string, shard: string, writtenAt: number, nonce: string): string {
  return `traces/${projectId}/segments/${shard}/${writtenAt}-${nonce}.jsonl`;
}

/** Where a request's raw bytes are in R2; the provenance of every span it carried. */
export interface OtlpBatchRef {
  key: string;
  sha256: string;
  sizeBytes: number;
}

/** The spans of one trace in one request, as handed to the TraceShard that owns the trace id. */
export interface OtlpTraceSpans {
  traceId: string;
  /** The agent these spans alone suggest; fixed from all spans when the trace is assembled. */
  agent: string;
  /** [spanId, 1 when the span has no parent, the OtlpSpanRecord as JSON with `resourceRef` for its resource]. */
  spans: [spanId: string, isRoot: 0 | 1, record: string][];
}

export interface RecordSpansRequest {
  projectId: string;
  batch: OtlpBatchRef;
  receivedAt: string;
  /**
   * [SHA-256 of the JSON, the JSON] of each resource the spans name by `resourceRef`:
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
