/**
 * @module The OTLP write path: decode a request (already decompressed and under the
 * body limit), store its bytes in R2 (compressed, named by the SHA-256 of the content), then record the spans in
 * the TraceShard that owns each trace id, one call per shard. Only when both steps
 * succeed may the caller answer 200; bad spans are counted for `partialSuccess`.
 *
 * A retry after a failure is safe: the raw object is content-addressed (the same
 * bytes find the same key) and the shards ignore spans they already hold.
 */
import { ApiError } from "../errors";
import {
  agentOfTrace,
  decodeOtlpTraces,
  groupSpansByTrace,
  MAX_REJECTION_REASONS,
  otlpContentType,
  type OtlpFormat,
  type OtlpRejections,
  type OtlpSpanRecord,
} from "../otlp";
import { shardOf } from "../storage/durable-objects";
import { sha256Hex } from "../storage/hash";
import { compressForStorage, type TraceStore } from "../storage/r2";
import type { ReceivedBody } from "./body";
import { otlpBatchKey, type OtlpBatchRef, type OtlpTraceSpans } from "./otlp-objects";
import { provisionalAgent, scanProtobufTraces, traceRequests, type ScannedSpan } from "./otlp-scan";
import { decodeProtobufTracesFast } from "./otlp-wire";

/** A DO SQL row is capped at 2 MB; a span record must fit in one with room to spare. */
const MAX_SPAN_RECORD_BYTES = 1_500_000;

/** Spans of one trace are stored in pieces of about this much (plus one span at most), under the 2 MB row cap. */
const MAX_SPAN_SET_BYTES = 400_000;

export interface OtlpIngestLimits {
  /** Largest span record (its JSON), MAX_TRACE_BYTES. */
  maxSpanBytes: number;
  shards: number;
}

export interface OtlpIngestOutcome {
  accepted: number;
  duplicates: number;
  rejected: OtlpRejections;
}

/**
 * Stores one decoded OTLP request. Throws OtlpDecodeError when the body is not an
 * ExportTraceServiceRequest at all; a failing dependency propagates as an error the
 * caller turns into a retryable 503.
 */
export async function ingestOtlp(
  env: Env,
  store: TraceStore,
  projectId: string,
  body: ReceivedBody,
  format: OtlpFormat,
  limits: OtlpIngestLimits,
): Promise<OtlpIngestOutcome> {
  const { content } = body;
  const maxSpanBytes = Math.min(limits.maxSpanBytes, MAX_SPAN_RECORD_BYTES);
  const prepared =
    format === "protobuf" ? protobufTraces(content, maxSpanBytes) : await jsonTraces(content, maxSpanBytes);
  const { rejected, resources } = prepared;

  const byShard = new Map<number, OtlpTraceSpans[]>();
  for (const entry of prepared.traces) {
    const shard = shardOf(entry.traceId, limits.shards);
    const list = byShard.get(shard);
    if (list) list.push(entry);
    else byShard.set(shard, [entry]);
  }
  if (byShard.size === 0) return { accepted: 0, duplicates: 0, rejected: rejected.toJSON() };

  // A gzip body is stored as the client sent it; anything else is compressed here.
  const stored =
    body.encoding === "gzip"
      ? { bytes: body.wire, encoding: "gzip" as const }
      : { bytes: compressForStorage(content), encoding: "br" as const };
  const [contentSha256, storedSha256] = await Promise.all([sha256Hex(content), sha256Hex(stored.bytes)]);
  const key = otlpBatchKey(projectId, contentSha256, format);
  const put = await store.putContentAddressed(
    key,
    { ...stored, sha256: storedSha256 },
    { sha256: contentSha256, contentType: otlpContentType(format) },
  );
  const batch: OtlpBatchRef = { key, sha256: put.sha256, sizeBytes: content.byteLength };
  if (put.outcome === "different") {
    // The key is the content's own hash, so other bytes under it mean the stored object is damaged.
    throw new ApiError(
      503,
      "storage_inconsistent",
      `The stored copy of this request (${batch.key}) fails its SHA-256 check; retry later.`,
      undefined,
      {
        "Retry-After": "30",
      },
    );
  }

  const receivedAt = new Date().toISOString();
  const results = await Promise.all(
    [...byShard].map(([shard, traces]) =>
      shardStub(env, projectId, shard).recordSpans({ projectId, batch, receivedAt, resources, traces }),
    ),
  );
  let accepted = 0;
  let duplicates = 0;
  for (const result of results) {
    accepted += result.accepted;
    duplicates += result.duplicates;
    for (const conflict of result.conflicts) {
      rejected.add(
        `trace ${conflict.traceId}`,
        `its id is already used by a native trace of this project, so its ${conflict.spans} span(s) were refused`,
        conflict.spans,
      );
    }
  }
  return { accepted, duplicates, rejected: rejected.toJSON() };
}

/**
 * `idFromName` hashes the name on every call, several times per request here; an id
 * is a plain value, so it is derived once per shard (stubs are not: they belong to a request).
 */
const shardIds = new WeakMap<Env["TRACE_SHARD"], Map<string, DurableObjectId>>();

function shardStub(env: Env, projectId: string, shard: number) {
  const namespace = env.TRACE_SHARD;
  let ids = shardIds.get(namespace);
  if (!ids) shardIds.set(namespace, (ids = new Map()));
  // Same name as traceShardAt in storage/durable-objects, so both reach the same object.
  const name = `${projectId}/${shard}`;
  let id = ids.get(name);
  if (!id) {
    id = namespace.idFromName(name);
    if (ids.size >= 10_000) ids.clear();
    ids.set(name, id);
  }
  return namespace.get(id);
}

/**
 * The spans a request gave each of its traces, taken apart as ingest did (the same scan
 * or decode and checks; no per-span limit but the storage cap, since the caller keeps
 * only the span ids its trace counts), each trace's records decoded on demand. For
 * re-assembling a trace whose stored pieces were pruned, from the raw request in R2.
 */
export async function spansByTraceOf(
  content: Uint8Array,
  format: OtlpFormat,
): Promise<Map<string, () => OtlpSpanRecord[]>> {
  const prepared =
    format === "protobuf"
      ? protobufTraces(content, MAX_SPAN_RECORD_BYTES)
      : await jsonTraces(content, MAX_SPAN_RECORD_BYTES);
  const resources = new Map(
    prepared.resources.map(([hash, json]) => [hash, JSON.parse(json) as OtlpSpanRecord["resource"]]),
  );
  return new Map(
    prepared.traces.map((trace) => [
      trace.traceId,
      () => {
        if ("protobuf" in trace.content)
          return trace.content.protobuf.flatMap((piece) => decodeProtobufTracesFast(piece).spans);
        return trace.content.records.map((json) => {
          const { resourceRef, ...record } = JSON.parse(json) as OtlpSpanRecord & { resourceRef?: string };
          return { ...record, resource: (resourceRef === undefined ? undefined : resources.get(resourceRef)) ?? {} };
        });
      },
    ]),
  );
}

interface PreparedTraces {
  traces: OtlpTraceSpans[];
  resources: [hash: string, json: string][];
  rejected: Rejections;
}

/**
 * A protobuf request is scanned, not decoded: the shard gets, per trace, the bytes of
 * its spans cut out of the body, and they are decoded once, at assembly.
 */
function protobufTraces(content: Uint8Array, maxSpanBytes: number): PreparedTraces {
  const scan = scanProtobufTraces(content);
  const rejected = new Rejections(scan.rejected);
  const byTrace = new Map<string, ScannedSpan[]>();
  for (const span of scan.spans) {
    if (span.end - span.start > maxSpanBytes) {
      rejected.add(
        `span ${span.spanId} of trace ${span.traceId}`,
        `is ${span.end - span.start} bytes; the limit per span is ${maxSpanBytes} bytes (MAX_TRACE_BYTES)`,
      );
      continue;
    }
    const spans = byTrace.get(span.traceId);
    if (spans) spans.push(span);
    else byTrace.set(span.traceId, [span]);
  }
  const traces = [...byTrace].map(
    ([traceId, spans]): OtlpTraceSpans => ({
      traceId,
      agent: provisionalAgent(spans, scan.groups),
      spanIds: spans.map((span) => span.spanId).join(""),
      roots: spans.flatMap((span, i) => (span.isRoot ? [i] : [])),
      content: { protobuf: traceRequests(content, scan.groups, spans, MAX_SPAN_SET_BYTES) },
    }),
  );
  return { traces, resources: [], rejected };
}

/** A JSON request is decoded here; each span goes to the shard as its record's JSON, its resource stored once by hash. */
async function jsonTraces(content: Uint8Array, maxSpanChars: number): Promise<PreparedTraces> {
  const decoded = decodeOtlpTraces(content, "json");
  const rejected = new Rejections(decoded.rejected);
  const resourceRefs = new Map<object, string>();
  const resources: [string, string][] = [];
  for (const span of decoded.spans) {
    if (resourceRefs.has(span.resource)) continue;
    const json = JSON.stringify(span.resource);
    const hash = await sha256Hex(json);
    resourceRefs.set(span.resource, hash);
    resources.push([hash, json]);
  }
  const traces: OtlpTraceSpans[] = [];
  for (const [traceId, spans] of groupSpansByTrace(decoded.spans)) {
    const records: string[] = [];
    const entry: OtlpTraceSpans = { traceId, agent: agentOfTrace(spans), spanIds: "", roots: [], content: { records } };
    for (const span of spans) {
      const record = JSON.stringify({ ...span, resource: undefined, resourceRef: resourceRefs.get(span.resource) });
      // Length in UTF-16 units bounds the UTF-8 size from below; close enough for a guard this far from the cap.
      if (record.length > maxSpanChars) {
        rejected.add(
          `span ${span.spanId} of trace ${traceId}`,
          `is ${record.length} bytes as JSON; the limit per span is ${maxSpanChars} bytes (MAX_TRACE_BYTES)`,
        );
        continue;
      }
      if (span.parentSpanId === null) entry.roots.push(records.length);
      entry.spanIds += span.spanId;
      records.push(record);
    }
    if (records.length > 0) traces.push(entry);
  }
  return { traces, resources, rejected };
}

class Rejections {
  count: number;
  reasons: string[];

  constructor(from: OtlpRejections) {
    this.count = from.count;
    this.reasons = [...from.reasons];
  }

  add(where: string, reason: string, spans = 1): void {
    this.count += spans;
    if (this.reasons.length < MAX_REJECTION_REASONS) this.reasons.push(`${where}: ${reason}`);
  }

  toJSON(): OtlpRejections {
    return { count: this.count, reasons: this.reasons };
  }
}
