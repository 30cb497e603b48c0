/**
 * @module Facts graders read off a trace that `domain/trace.ts` does not already
 * offer: latency with a fallback to the spans' extent, tool calls with parsed
 * arguments, and whether any usage or cost was recorded at all.
 */
import type { Span, Trace } from "../domain/trace";
import { reportsCostUsage, reportsTokenUsage, traceLatencyMs } from "../domain/trace";

/**
 * Wall-clock latency of the trace; when the trace lacks start or end time
 * (OTLP traces often do), the extent of its timed spans. `null` when unknown.
 */
export function latencyOfTrace(trace: Pick<Trace, "startTime" | "endTime" | "spans">): number | null {
  const direct = traceLatencyMs(trace);
  if (direct !== null && Number.isFinite(direct)) return direct;
  let first = Infinity;
  let last = -Infinity;
  for (const span of trace.spans) {
    if (!span.startTime || !span.endTime) continue;
    first = Math.min(first, Date.parse(span.startTime));
    last = Math.max(last, Date.parse(span.endTime));
  }
  return Number.isFinite(first) && Number.isFinite(last) ? last - first : null;
}

/** The tool spans of a trace, optionally only those of one tool. */
export function toolSpans(trace: Pick<Trace, "spans">, tool?: string): Span[] {
  return trace.spans.filter((span) => span.type === "tool" && (tool === undefined || span.name === tool));
}

/**
 * A tool call's arguments as JSON. OTLP instrumentations record arguments as
 * a JSON string, native traces as an object; both are read the same way.
 */
export function toolArguments(span: Span): unknown {
  const input = span.input;
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

/** Whether the trace reports token usage (its LLM spans, its own `usage` or any span), so "0 tokens" can be told from "unknown". */
export function hasUsage(trace: Pick<Trace, "spans">): boolean {
  return reportsTokenUsage(trace);
}

/** Whether the trace reports a cost. */
export function hasCost(trace: Pick<Trace, "spans">): boolean {
  return reportsCostUsage(trace);
}

/**
 * The LLM calls of a trace: LLM spans that do not wrap another LLM span. Some
 * instrumentations (the AI SDK's `ai.generateText` around `ai.generateText.doGenerate`)
 * emit an LLM-typed span around each real call; counting both would double the calls.
 */
export function llmCalls(trace: Pick<Trace, "spans">): Span[] {
  const llm = trace.spans.filter((span) => span.type === "llm");
  const ids = new Set(llm.map((span) => span.id));
  const wrappers = new Set(llm.flatMap((span) => (span.parentId && ids.has(span.parentId) ? [span.parentId] : [])));
  return llm.filter((span) => !wrappers.has(span.id));
}
