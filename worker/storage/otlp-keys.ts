/**
 * @module R2 keys of the OTLP write path: the raw request object (content-addressed,
 * so an exporter retry finds the same key) and the segments that hold assembled trace
 * revisions (create-only, a new key per segment).
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
