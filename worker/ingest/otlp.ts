/**
 * @module The OTLP write path: take a request (already decompressed and under the
 * body limit) apart per trace (otlp/trace-pieces.ts), store its bytes in R2
 * (compressed, named by the SHA-256 of the content), then record the spans in the
 * TraceShard that owns each trace id, one call per shard. Only when both steps
 * succeed may the caller answer 200; bad spans are counted for `partialSuccess`.
 *
 * A retry after a failure is safe: the raw object is content-addressed (the same
 * bytes find the same key) and the shards ignore spans they already hold.
 */
import { ApiError } from "../errors";
import { MAX_SPAN_RECORD_BYTES, type OtlpFormat, type OtlpRejections, otlpContentType, tracePieces } from "../otlp";
import { type OtlpBatchRef, type OtlpTraceSpans, shardOf, traceShardAt } from "../storage/durable-objects";
import { sha256Hex } from "../storage/hash";
import { otlpBatchKey } from "../storage/otlp-keys";
import { compressForStorage, type TraceStore } from "../storage/r2";
import type { ReceivedBody } from "./body";

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
  const prepared = await tracePieces(content, format, maxSpanBytes);
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
      traceShardAt(env, projectId, shard).recordSpans({ projectId, batch, receivedAt, resources, traces }),
    ),
  );
  let accepted = 0;
  let duplicates = 0;
  for (const result of results) {
    accepted += result.accepted;
    duplicates += result.duplicates;
    for (const conflict of result.conflicts) {
      rejected.reject(
        `trace ${conflict.traceId}`,
        `its id is already used by a native trace of this project, so its ${conflict.spans} span(s) were refused`,
        conflict.spans,
      );
    }
  }
  return { accepted, duplicates, rejected: rejected.toJSON() };
}
