/**
 * @module What crosses the TraceShard's RPC boundary: the records ingest hands it, the
 * OTLP spans it stores, and what it answers. A leaf: it imports types only, so the
 * Worker, the shard and its store can all depend on it without closing a cycle.
 */
import type { TraceState } from "../../worker/storage/trace-index";

/** What ingest knows about a trace once its bytes are stored. */
export interface TraceRecord {
  projectId: string;
  id: string;
  agent: string;
  version: string | null;
  source: "native" | "otlp";
  startTime: string | null;
  endTime: string | null;
  latencyMs: number | null;
  status: "ok" | "error";
  spanCount: number;
  sha256: string;
  sizeBytes: number;
  r2Key: string;
  receivedAt: string;
}

export type RecordOutcome = "new" | "duplicate" | "conflict";

export interface RecordedTrace extends TraceRecord {
  state: TraceState;
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

/** An OTLP trace as its shard holds it. */
export interface OtlpTraceView {
  record: TraceRecord;
  state: string;
  revision: number;
  spanCount: number;
  /** True while spans may still come: not yet assembled, or reopened by a late span. */
  assembling: boolean;
}
