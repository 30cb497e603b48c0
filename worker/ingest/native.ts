/**
 * @module The native write path: parse and validate a body of one trace or an array
 * of traces, then store each valid trace (R2 bytes first, then its durable record
 * in the TraceShard). Invalid items are reported by index and never stored; a
 * dependency failure fails the request with a retryable error, and the retry is
 * safe because both stores are idempotent on the trace id.
 */
import type { z } from "zod";
import { normaliseTrace, traceLatencyMs, traceSchema, type Trace } from "../domain/trace";
import { ApiError } from "../errors";
import { sha256Hex } from "../storage/hash";
import type { TraceRecord } from "../storage/durable-objects";
import type { TraceWriter } from "./trace-writer";

export type ItemResult =
  | { index: number; id: string; status: "created" | "duplicate" }
  | { index: number; id?: string; status: "rejected"; error: { code: string; message: string } };

export interface IngestLimits {
  maxTraceBytes: number;
  maxBatchTraces: number;
}

interface PreparedTrace {
  index: number;
  trace: Trace;
  bytes: Uint8Array;
  sha256: string;
}

const encoder = new TextEncoder();

export function parseJsonBody(content: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(content));
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : "the body is not valid UTF-8";
    throw new ApiError(
      400,
      "invalid_json",
      `The body is not valid JSON (${detail}). Send one trace object or an array of them.`,
    );
  }
}

/** Validates every item; returns the prepared traces and the rejections by index. */
export async function prepareTraces(
  body: unknown,
  limits: IngestLimits,
): Promise<{ batch: boolean; prepared: PreparedTrace[]; rejected: ItemResult[] }> {
  const batch = Array.isArray(body);
  const items = batch ? (body as unknown[]) : [body];
  if (batch && items.length === 0) {
    throw new ApiError(400, "empty_batch", "The array holds no traces; send at least one.");
  }
  if (items.length > limits.maxBatchTraces) {
    throw new ApiError(
      413,
      "batch_too_large",
      `The batch holds ${items.length} traces; the limit is ${limits.maxBatchTraces} per request. Split it.`,
    );
  }
  const prepared: PreparedTrace[] = [];
  const rejected: ItemResult[] = [];
  await Promise.all(
    items.map(async (item, index) => {
      const outcome = await prepareOne(item, index, batch, limits);
      if ("error" in outcome) rejected.push(outcome);
      else prepared.push(outcome);
    }),
  );
  rejected.sort((a, b) => a.index - b.index);
  prepared.sort((a, b) => a.index - b.index);
  return { batch, prepared, rejected };
}

async function prepareOne(
  item: unknown,
  index: number,
  batch: boolean,
  limits: IngestLimits,
): Promise<PreparedTrace | Extract<ItemResult, { status: "rejected" }>> {
  const parsed = traceSchema.safeParse(item);
  const givenId = typeof (item as { id?: unknown })?.id === "string" ? (item as { id: string }).id : undefined;
  if (!parsed.success) {
    return {
      index,
      id: givenId,
      status: "rejected",
      error: { code: "invalid_trace", message: describeIssues(parsed.error, batch ? `[${index}]` : "") },
    };
  }
  const id = parsed.data.id ?? (await contentDerivedTraceId(parsed.data));
  const trace = normaliseTrace(parsed.data, id);
  const bytes = encoder.encode(JSON.stringify(trace));
  if (bytes.byteLength > limits.maxTraceBytes) {
    return {
      index,
      id,
      status: "rejected",
      error: {
        code: "trace_too_large",
        message: `Trace ${id} is ${bytes.byteLength} bytes; the limit per trace is ${limits.maxTraceBytes} bytes.`,
      },
    };
  }
  return { index, trace, bytes, sha256: await sha256Hex(bytes) };
}

/**
 * Without a client id, the id is derived from the content, so a retried request
 * still maps to the same trace instead of creating a second one. The client
 * (client/src/trace-id.ts) derives the same id before sending; a test holds the two together.
 */
export async function contentDerivedTraceId(parsed: z.output<typeof traceSchema>): Promise<string> {
  return `t-${(await sha256Hex(JSON.stringify(parsed))).slice(0, 32)}`;
}

/** "spans[2].type: expected one of llm|tool|...; agent: required" */
export function describeIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => {
      const path = issue.path
        .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
        .join("")
        .replace(/^\./, "");
      const field = `${prefix}${prefix && path && !path.startsWith("[") ? "." : ""}${path}` || "body";
      // zod says "expected string, received undefined" for a missing key: say what it means.
      if (issue.code === "invalid_type" && / received undefined$/.test(issue.message)) return `${field} is required`;
      return `${field}: ${issue.message}`;
    })
    .join("; ");
}

export function toTraceRecord(projectId: string, p: PreparedTrace, r2Key: string, receivedAt: string): TraceRecord {
  return {
    projectId,
    id: p.trace.id,
    agent: p.trace.agent,
    version: p.trace.version ?? null,
    source: "native",
    startTime: p.trace.startTime ?? null,
    endTime: p.trace.endTime ?? null,
    latencyMs: traceLatencyMs(p.trace),
    status: p.trace.status,
    spanCount: p.trace.spans.length,
    sha256: p.sha256,
    sizeBytes: p.bytes.byteLength,
    r2Key,
    receivedAt,
  };
}

/** Stores every prepared trace and merges the outcomes with the rejections, in input order. */
export async function storeTraces(
  writer: TraceWriter,
  projectId: string,
  prepared: PreparedTrace[],
  rejected: ItemResult[],
): Promise<ItemResult[]> {
  const stored = await writer.write(
    projectId,
    prepared.map((p) => ({
      ...p,
      toRecord: (r2Key: string, receivedAt: string) => toTraceRecord(projectId, p, r2Key, receivedAt),
    })),
  );
  const results: ItemResult[] = [...rejected];
  prepared.forEach((p, i) => {
    const outcome = stored[i]!;
    if (outcome === "conflict") {
      results.push({
        index: p.index,
        id: p.trace.id,
        status: "rejected",
        error: {
          code: "trace_conflict",
          message: `A different trace with id ${p.trace.id} is already stored; trace ids must be unique per project. Use a new id.`,
        },
      });
    } else {
      results.push({ index: p.index, id: p.trace.id, status: outcome === "new" ? "created" : "duplicate" });
    }
  });
  return results.sort((a, b) => a.index - b.index);
}
