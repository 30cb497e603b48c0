/**
 * @module The native trace model: the zod schema that validates `POST /api/traces`
 * and the normalised `Trace` every other part of Flywheel (OTLP mapping, graders,
 * datasets) works on.
 */
import { z } from "@hono/zod-openapi";
import { isWellFormedText, nameSchema as labelSchema } from "./names";

export const SPAN_TYPES = ["llm", "tool", "retrieval", "step", "agent"] as const;
export type SpanType = (typeof SPAN_TYPES)[number];

/** Ids end up in R2 keys and URLs, so they are limited to URL-safe printable characters. */
export const TRACE_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
const idSchema = z.string().regex(TRACE_ID_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -");

// Control characters would corrupt keys, logs and CSV exports; see names.ts for the byte bound.
const nameSchema = labelSchema();

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
    // Span names never reach a storage key, so only characters are bounded.
    name: labelSchema(200, 800),
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
  version: labelSchema(200, 200, 0).nullish().openapi({ example: "prompt-v3" }),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  startTime: timeSchema.optional(),
  endTime: timeSchema.optional(),
  status: statusSchema.optional(),
  error: z.string().nullish(),
  metadata: z
    .record(z.string(), z.unknown())
    .refine(
      (metadata) => Object.keys(metadata).every(isWellFormedText),
      "keys must be valid Unicode text (one holds an unpaired surrogate, \\ud800-\\udfff)",
    )
    .optional(),
  tags: z.array(labelSchema(100, 100)).max(50).optional(),
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

type UsageSource = Pick<Trace, "spans"> & { usage?: unknown };
type Usage = NonNullable<Span["usage"]>;

const reportsTokens = (usage: Usage | undefined): usage is Usage =>
  usage !== undefined &&
  (usage.inputTokens !== undefined || usage.outputTokens !== undefined || usage.totalTokens !== undefined);
const reportsCost = (usage: Usage | undefined): usage is Usage => typeof usage?.cost === "number";

/**
 * The usages one figure (tokens or cost) is summed over, so no token is counted twice:
 * - the LLM spans that report it, leaving out an LLM span that wraps another reporting
 *   LLM span (a wrapper's figure is its children's rollup);
 * - else the trace's own `usage`, when the client sent one;
 * - else the outermost spans that report it (a span under a reporting span is part of
 *   that span's total).
 * Agent and step spans often carry a rollup of their children's usage: summing every
 * span would double a trace's tokens and fail a trace that is within budget.
 */
function usageSources(trace: UsageSource, reports: (usage: Usage | undefined) => usage is Usage): Usage[] {
  const byId = new Map(trace.spans.map((span) => [span.id, span]));
  const ancestors = (span: Span): Span[] => {
    const chain: Span[] = [];
    let parentId = span.parentId ?? null;
    while (parentId !== null && chain.length <= trace.spans.length) {
      const parent = byId.get(parentId);
      if (!parent) break;
      chain.push(parent);
      parentId = parent.parentId ?? null;
    }
    return chain;
  };
  const llm = trace.spans.filter((span) => span.type === "llm" && reports(span.usage));
  if (llm.length > 0) {
    const wrappers = new Set<Span>();
    for (const span of llm) for (const parent of ancestors(span)) if (parent.type === "llm") wrappers.add(parent);
    return llm.filter((span) => !wrappers.has(span)).map((span) => span.usage!);
  }
  const own = trace.usage as Usage | undefined;
  if (own !== null && typeof own === "object" && reports(own)) return [own];
  const reporting = trace.spans.filter((span) => reports(span.usage));
  const reportingSet = new Set(reporting);
  return reporting
    .filter((span) => !ancestors(span).some((parent) => reportingSet.has(parent)))
    .map((span) => span.usage!);
}

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/** Token usage and cost of a trace, counted once (see {@link usageSources}). */
export function totalUsage(trace: UsageSource): TokenUsage {
  const total: TokenUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0, cost: 0 };
  for (const usage of usageSources(trace, reportsTokens)) {
    const input = count(usage.inputTokens);
    const output = count(usage.outputTokens);
    total.inputTokens += input;
    total.outputTokens += output;
    total.totalTokens += usage.totalTokens === undefined ? input + output : count(usage.totalTokens);
  }
  for (const usage of usageSources(trace, reportsCost)) total.cost += count(usage.cost);
  return total;
}

/** Whether the trace reports token usage anywhere, so "0 tokens" can be told from "unknown". */
export function reportsTokenUsage(trace: UsageSource): boolean {
  return usageSources(trace, reportsTokens).length > 0;
}

/** Whether the trace reports a cost anywhere. */
export function reportsCostUsage(trace: UsageSource): boolean {
  return usageSources(trace, reportsCost).length > 0;
}

export const spansOfType = (trace: Pick<Trace, "spans">, type: SpanType): Span[] =>
  trace.spans.filter((span) => span.type === type);
