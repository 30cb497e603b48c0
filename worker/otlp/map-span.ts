/**
 * @module One OTLP span record as a Flywheel span: type, input/output, model,
 * usage and status from the semantic conventions; every attribute not moved
 * into input/output stays under `attributes`, so nothing is lost.
 */
import type { Span } from "../domain/trace.js";
import { setKey } from "./attributes.js";
import { errorOf, modelOf, providerOf, toolCallIdOf, toolNameOf, usageOf } from "./span-details.js";
import { inputOf, outputOf } from "./span-payload.js";
import type { OtlpSpanRecord } from "./span-record.js";
import { spanTypeOf } from "./span-type.js";
import { clip, toName } from "./text-limits.js";

const SPAN_KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"];

export interface MapSpanContext {
  /** The parent as resolved within the trace (null when absent from it). */
  parentId: string | null;
  isRoot: boolean;
}

export function mapSpan(record: OtlpSpanRecord, context: MapSpanContext): Span {
  const attrs = record.attributes;
  const type = spanTypeOf(record, context.isRoot);
  const toolName = type === "tool" ? toolNameOf(attrs) : undefined;
  // A tool span is named after its tool (the AI SDK calls every one `ai.toolCall`).
  const name = toName(toolName ?? record.name, record.name === "" ? "span" : clip(record.name));
  const error = errorOf(record);
  const span: Span = {
    id: record.spanId,
    parentId: context.parentId,
    type,
    name,
    startTime: record.startTime,
    status: error.failed ? "error" : "ok",
  };
  if (record.endTime) span.endTime = record.endTime;
  if (error.message) span.error = error.message;

  const model = modelOf(attrs);
  const provider = providerOf(attrs);
  // Usage only on LLM calls: agent and step spans (the AI SDK's `ai.generateText`,
  // OpenInference agents) repeat their children's totals, and `totalUsage` sums
  // every span. Their figures stay under `attributes`.
  const usage = type === "llm" ? usageOf(attrs) : undefined;
  if (model) span.model = clip(model);
  if (provider) span.provider = clip(provider);
  if (usage) span.usage = usage;

  const consumed = new Set<string>();
  const input = inputOf(record, type);
  const output = outputOf(record, type);
  if (input) {
    span.input = input.value;
    for (const key of input.keys) consumed.add(key);
  }
  if (output) {
    span.output = output.value;
    for (const key of output.keys) consumed.add(key);
  }

  const metadata: Record<string, unknown> = {};
  if (name !== record.name) metadata.otelSpanName = record.name;
  const toolCallId = type === "tool" ? toolCallIdOf(attrs) : undefined;
  if (toolCallId) metadata.toolCallId = toolCallId;
  if (Object.keys(metadata).length > 0) span.metadata = metadata;

  span.kind = SPAN_KINDS[record.kind] ?? String(record.kind);
  if (record.scope.name) span.scope = record.scope;
  span.attributes = withoutKeys(attrs, consumed);
  if (record.events.length > 0) span.events = record.events;
  return span;
}

function withoutKeys(attrs: Record<string, unknown>, keys: Set<string>): Record<string, unknown> {
  if (keys.size === 0) return attrs;
  const out: Record<string, unknown> = {};
  for (const key in attrs) if (!keys.has(key)) setKey(out, key, attrs[key]);
  return out;
}
