/**
 * @module The spans of a reopened trace whose earlier pieces were pruned (see
 * OtlpSpanStore): read back from the raw requests in R2 that carried them, verified
 * against the SHA-256 taken at ingest, decompressed, and taken apart exactly as ingest
 * did. Only the span ids the trace counts are taken, and every one must be found:
 * a trace is never re-assembled with spans missing.
 */
import { type OtlpSpanRecord, spansByTraceOf } from "../../worker/otlp";
import { TraceCorruptedError, type TraceStore } from "../../worker/storage/r2";
import type { StoredSpans } from "./span-store";

/** A pruned trace's raw request is gone, altered, or no longer holds its spans: the trace cannot be re-assembled. */
export class PrunedSpansUnreadableError extends Error {
  constructor(traceId: string, reason: string) {
    super(`the earlier spans of trace ${traceId} cannot be read back: ${reason}`);
    this.name = "PrunedSpansUnreadableError";
  }
}

/** Requests kept decoded at once: the traces of one batch usually reopen together, and a request may be 10 MB. */
const CACHED_REQUESTS = 4;

/** One per alarm run or read. */
export class PrunedSpanReader {
  private readonly requests = new Map<string, Promise<Map<string, () => OtlpSpanRecord[]>>>();

  constructor(private readonly store: TraceStore) {}

  /** Every span of the trace: those read back from its pruned requests, then the ones still held. */
  async spansOf(traceId: string, stored: StoredSpans): Promise<OtlpSpanRecord[]> {
    const held = stored.held();
    if (stored.requests.length === 0) return held;
    const spans: OtlpSpanRecord[] = [];
    const found = new Set<string>();
    for (const request of stored.requests) {
      const byTrace = await this.request(traceId, request);
      for (const span of byTrace.get(traceId)?.() ?? []) {
        if (!stored.spanIds.has(span.spanId)) continue;
        spans.push(span);
        found.add(span.spanId);
      }
    }
    for (const span of held) found.add(span.spanId);
    const missing = [...stored.spanIds].filter((id) => !found.has(id));
    if (missing.length > 0)
      throw new PrunedSpansUnreadableError(
        traceId,
        `${missing.length} of its spans (${missing.slice(0, 3).join(", ")}) are in none of them`,
      );
    return [...spans, ...held];
  }

  private request(traceId: string, ref: { key: string; sha256: string }): Promise<Map<string, () => OtlpSpanRecord[]>> {
    let pending = this.requests.get(ref.key);
    if (!pending) {
      pending = this.load(traceId, ref);
      // A failed read is not kept: the next trace asks R2 again.
      pending.catch(() => this.requests.delete(ref.key));
      if (this.requests.size >= CACHED_REQUESTS) this.requests.delete(this.requests.keys().next().value!);
      this.requests.set(ref.key, pending);
    }
    return pending;
  }

  private async load(
    traceId: string,
    ref: { key: string; sha256: string },
  ): Promise<Map<string, () => OtlpSpanRecord[]>> {
    let content: Uint8Array | null;
    try {
      content = await this.store.getContentAddressed(ref.key, ref.sha256);
    } catch (err) {
      if (err instanceof TraceCorruptedError) throw new PrunedSpansUnreadableError(traceId, err.message);
      throw err;
    }
    if (!content) throw new PrunedSpansUnreadableError(traceId, `R2 object ${ref.key} is gone`);
    return spansByTraceOf(content, ref.key.endsWith(".json") ? "json" : "protobuf");
  }
}
