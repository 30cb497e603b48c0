/**
 * @module The native trace model: the zod schema that validates `POST /api/traces`
 * and the normalised `Trace` every other part of Flywheel (OTLP mapping, graders,
 * datasets) works on.
 */
import { z } from "@hono/zod-openapi";

export const SPAN_TYPES = ["llm", "tool", "retrieval", "step", "agent"] as const;
export type SpanType = (typeof SPAN_TYPES)[number];

/** Ids end up in R2 keys and URLs, so they are limited to URL-safe printable characters. */
export const TRACE_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
const idSchema = z.string().regex(TRACE_ID_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -");

const nameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  // Control characters would corrupt keys, logs and CSV exports.
  .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters");

/** ISO 8601 with a timezone, or epoch milliseconds; normalised to an ISO string. */
const timeSchema = z
  .union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
  .transform((value) => new Date(value).toISOString())
  .openapi({ type: "string", format: "date-time", example: "2026-11-26T10:00:00.000Z" });

const statusSchema = z.enum(["ok", "error"]);

const usageSchema = z.looseObject({
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  totalTokens: z.number().int().nonnegative().optional(),
  /** Cost in US dollars, when the client knows it. */
  cost: z.number().nonnegative().optional(),
});

export const spanSchema = z
  .looseObject({
    id: idSchema,
    parentId: idSchema.nullish(),
    type: z.enum(SPAN_TYPES),
    name: nameSchema,
    startTime: timeSchema.optional(),
    endTime: timeSchema.optional(),
    status: statusSchema.default("ok"),
    error: z.string().nullish(),
    model: z.string().max(200).optional(),
    provider: z.string().max(200).optional(),
    usage: usageSchema.optional(),
    input: z.unknown().optional(),
    output: z.unknown().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("Span");

const traceObjectSchema = z.looseObject({
  id: idSchema.optional().openapi({
    description:
      "Client-chosen id; retries with the same id are idempotent. When absent, the id is derived from the trace's content.",
    example: "run-42",
  }),
  agent: nameSchema.openapi({ example: "support-bot" }),
  version: z.string().max(200).nullish().openapi({ example: "prompt-v3" }),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  startTime: timeSchema.optional(),
  endTime: timeSchema.optional(),
  status: statusSchema.optional(),
  error: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string().min(1).max(100)).max(50).optional(),
  spans: z.array(spanSchema).optional(),
});

export const traceSchema = traceObjectSchema.superRefine(checkTraceConsistency).openapi("Trace");

export type TraceInput = z.input<typeof traceSchema>;
export type ParsedTrace = z.output<typeof traceObjectSchema>;
export type Span = z.output<typeof spanSchema>;

/** The normalised trace: what is stored in R2 and what graders see. */
export interface Trace extends ParsedTrace {
  id: string;
  status: "ok" | "error";
  metadata: Record<string, unknown>;
  tags: string[];
  spans: Span[];
}

function checkTraceConsistency(trace: ParsedTrace, ctx: z.RefinementCtx): void {
  if (trace.startTime && trace.endTime && trace.endTime < trace.startTime) {
    ctx.addIssue({ code: "custom", path: ["endTime"], message: "must not be before startTime" });
  }
  const spans = trace.spans ?? [];
  const seen = new Map<string, number>();
  spans.forEach((span, index) => {
    if (seen.has(span.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["spans", index, "id"],
        message: `duplicates the id of spans[${seen.get(span.id)}]; span ids must be unique within a trace`,
      });
    } else {
      seen.set(span.id, index);
    }
    if (span.startTime && span.endTime && span.endTime < span.startTime) {
      ctx.addIssue({ code: "custom", path: ["spans", index, "endTime"], message: "must not be before startTime" });
    }
  });
  spans.forEach((span, index) => {
    if (span.parentId && !seen.has(span.parentId)) {
      ctx.addIssue({
        code: "custom",
        path: ["spans", index, "parentId"],
        message: `'${span.parentId}' is not the id of a span in this trace`,
      });
    }
  });
  const cycleAt = findParentCycle(spans);
  if (cycleAt !== undefined) {
    ctx.addIssue({ code: "custom", path: ["spans", cycleAt, "parentId"], message: "forms a cycle of parent links" });
  }
}

/** Index of a span whose parent chain loops back on itself, if any. */
function findParentCycle(spans: Span[]): number | undefined {
  const parentOf = new Map(spans.map((s) => [s.id, s.parentId ?? null]));
  for (let i = 0; i < spans.length; i++) {
    let current: string | null = spans[i]!.id;
    for (let steps = 0; current !== null; steps++) {
      if (steps > spans.length) return i;
      current = parentOf.get(current) ?? null;
    }
  }
  return undefined;
}

/** Fill in defaults so every consumer sees the same shape. */
export function normaliseTrace(parsed: ParsedTrace, id: string): Trace {
  const spans = parsed.spans ?? [];
  const status = parsed.status ?? (parsed.error ? "error" : "ok");
  // The id leads whether it was sent or derived, so a trace sent with the id the
  // server would derive is stored as the same bytes (a duplicate, not a conflict).
  return {
    id,
    ...parsed,
    status,
    metadata: parsed.metadata ?? {},
    tags: parsed.tags ?? [],
    spans,
  };
}

/** Wall-clock duration of the trace, when both ends are known. */
export function traceLatencyMs(trace: Pick<Trace, "startTime" | "endTime">): number | null {
  if (!trace.startTime || !trace.endTime) return null;
  return Date.parse(trace.endTime) - Date.parse(trace.startTime);
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cost: number;
}

/** Token usage and cost summed over the LLM spans of a trace. */
export function totalUsage(trace: Pick<Trace, "spans">): TokenUsage {
  const total: TokenUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0, cost: 0 };
  for (const span of trace.spans) {
    const usage = span.usage;
    if (!usage) continue;
    const input = usage.inputTokens ?? 0;
    const output = usage.outputTokens ?? 0;
    total.inputTokens += input;
    total.outputTokens += output;
    total.totalTokens += usage.totalTokens ?? input + output;
    total.cost += usage.cost ?? 0;
  }
  return total;
}

export const spansOfType = (trace: Pick<Trace, "spans">, type: SpanType): Span[] =>
  trace.spans.filter((span) => span.type === type);
