/**
 * @module A span's model, provider, token usage, tool identity and error, read
 * across the GenAI (current and deprecated), OpenInference, AI SDK and
 * Langfuse conventions.
 */
import type { Span } from "../domain/trace.js";
import { isObject } from "./attributes.js";
import { asCount, parseJsonish, pickCount, pickString } from "./attribute-lookup.js";
import type { Attributes } from "./attribute-lookup.js";
import type { OtlpSpanRecord } from "./span-record.js";

export type SpanUsage = NonNullable<Span["usage"]>;

/** The response model (what actually answered) wins over the requested one. */
export const modelOf = (attrs: Attributes): string | undefined =>
  pickString(attrs, [
    "gen_ai.response.model",
    "gen_ai.request.model",
    "langfuse.observation.model.name",
    "llm.model_name",
    "ai.response.model",
    "ai.model.id",
    "embedding.model_name",
  ]);

export const providerOf = (attrs: Attributes): string | undefined =>
  pickString(attrs, ["gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system", "ai.model.provider"]);

export const toolNameOf = (attrs: Attributes): string | undefined =>
  pickString(attrs, ["gen_ai.tool.name", "ai.toolCall.name", "tool.name", "tool_call.function.name"]);

export const toolCallIdOf = (attrs: Attributes): string | undefined =>
  pickString(attrs, ["gen_ai.tool.call.id", "ai.toolCall.id", "tool_call.id"]);

const INPUT_TOKENS = [
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.prompt_tokens",
  "llm.token_count.prompt",
  "ai.usage.inputTokens",
  "ai.usage.promptTokens",
];
const OUTPUT_TOKENS = [
  "gen_ai.usage.output_tokens",
  "gen_ai.usage.completion_tokens",
  "llm.token_count.completion",
  "ai.usage.outputTokens",
  "ai.usage.completionTokens",
];
const TOTAL_TOKENS = ["gen_ai.usage.total_tokens", "llm.token_count.total", "ai.usage.totalTokens", "ai.usage.tokens"];

/** Token usage and cost, or undefined when the span reports none. */
export function usageOf(attrs: Attributes): SpanUsage | undefined {
  const details = objectAttribute(attrs["langfuse.observation.usage_details"]);
  const costs = objectAttribute(attrs["langfuse.observation.cost_details"]);
  const usage: SpanUsage = {};
  const inputTokens =
    pickCount(attrs, INPUT_TOKENS) ?? firstCount(details, ["input", "prompt_tokens", "input_tokens", "promptTokens"]);
  const outputTokens =
    pickCount(attrs, OUTPUT_TOKENS) ??
    firstCount(details, ["output", "completion_tokens", "output_tokens", "completionTokens"]);
  const totalTokens = pickCount(attrs, TOTAL_TOKENS) ?? firstCount(details, ["total", "total_tokens", "totalTokens"]);
  const cost = costOf(attrs["llm.cost.total"]) ?? costOf(costs?.total) ?? sumOfCosts(costs);
  if (inputTokens !== undefined) usage.inputTokens = inputTokens;
  if (outputTokens !== undefined) usage.outputTokens = outputTokens;
  if (totalTokens !== undefined) usage.totalTokens = totalTokens;
  if (cost !== undefined) usage.cost = cost;
  return Object.keys(usage).length > 0 ? usage : undefined;
}

function objectAttribute(value: unknown): Record<string, unknown> | undefined {
  const parsed = parseJsonish(value);
  return isObject(parsed) ? parsed : undefined;
}

function firstCount(obj: Record<string, unknown> | undefined, keys: string[]): number | undefined {
  if (!obj) return undefined;
  for (const key of keys) {
    const count = asCount(obj[key]);
    if (count !== undefined) return count;
  }
  return undefined;
}

function costOf(value: unknown): number | undefined {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) && number >= 0 ? number : undefined;
}

/** Langfuse cost details without a `total` are per-kind costs (input, output...) that add up. */
function sumOfCosts(costs: Record<string, unknown> | undefined): number | undefined {
  if (!costs) return undefined;
  const parts = Object.values(costs)
    .map(costOf)
    .filter((cost) => cost !== undefined);
  return parts.length > 0 ? parts.reduce((sum, cost) => sum + cost, 0) : undefined;
}

/** OTLP StatusCode ERROR. */
export const STATUS_CODE_ERROR = 2;

/**
 * Whether the span failed and why: OTLP status ERROR (message from the status,
 * else from a recorded `exception` event), or a Langfuse level of ERROR.
 */
export function errorOf(span: OtlpSpanRecord): { failed: boolean; message: string | null } {
  const attrs = span.attributes;
  const langfuseError =
    typeof attrs["langfuse.observation.level"] === "string" &&
    attrs["langfuse.observation.level"].toUpperCase() === "ERROR";
  if (span.status.code !== STATUS_CODE_ERROR && !langfuseError) return { failed: false, message: null };
  const exception = span.events.find((event) => event.name === "exception")?.attributes;
  const exceptionMessage = exception ? pickString(exception, ["exception.message", "exception.type"]) : undefined;
  const message =
    span.status.message ||
    exceptionMessage ||
    pickString(attrs, ["langfuse.observation.status_message", "error.type"]) ||
    null;
  return { failed: true, message };
}
