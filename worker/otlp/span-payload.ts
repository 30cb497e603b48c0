/**
 * @module A span's input and output, read from the first convention that has
 * them: Langfuse, OTel GenAI (attributes, then the older events), the AI SDK,
 * OpenInference, then OpenLLMetry's indexed `gen_ai.prompt.N.*` keys.
 */
import type { SpanType } from "../domain/trace.js";
import { isObject } from "./attributes.js";
import { parseJson, parseJsonish, pick, unflatten } from "./attribute-lookup.js";
import type { Attributes, Picked } from "./attribute-lookup.js";
import type { OtlpEventRecord, OtlpSpanRecord } from "./span-record.js";

const TOOL_ARGUMENT_KEYS = ["gen_ai.tool.call.arguments", "ai.toolCall.args", "tool_call.function.arguments"];
const TOOL_RESULT_KEYS = ["gen_ai.tool.call.result", "ai.toolCall.result"];
const INPUT_KEYS = ["gen_ai.input.messages", "ai.prompt.messages", "ai.prompt", "ai.values", "ai.value"];
const OUTPUT_KEYS = ["gen_ai.output.messages", "ai.response.object", "ai.embeddings", "ai.embedding"];

export function inputOf(span: OtlpSpanRecord, type: SpanType): Picked | undefined {
  const attrs = span.attributes;
  return (
    parsed(pick(attrs, ["langfuse.observation.input"])) ??
    (type === "tool" ? parsed(pick(attrs, TOOL_ARGUMENT_KEYS)) : undefined) ??
    parsed(pick(attrs, INPUT_KEYS)) ??
    openInferenceValue(attrs, "input") ??
    messagesOf(attrs, "llm.input_messages.") ??
    parsed(unflatten(attrs, "gen_ai.prompt.")) ??
    parsed(pick(attrs, ["gen_ai.prompt"])) ??
    fromEvents(span.events, inputEvent)
  );
}

export function outputOf(span: OtlpSpanRecord, type: SpanType): Picked | undefined {
  const attrs = span.attributes;
  return (
    parsed(pick(attrs, ["langfuse.observation.output"])) ??
    (type === "tool" ? parsed(pick(attrs, TOOL_RESULT_KEYS)) : undefined) ??
    parsed(pick(attrs, OUTPUT_KEYS)) ??
    aiSdkResponse(attrs) ??
    openInferenceValue(attrs, "output") ??
    messagesOf(attrs, "llm.output_messages.") ??
    parsed(unflatten(attrs, "gen_ai.completion.")) ??
    parsed(pick(attrs, ["gen_ai.completion"])) ??
    fromEvents(span.events, outputEvent)
  );
}

function parsed(picked: Picked | undefined): Picked | undefined {
  return picked && { value: parseJsonish(picked.value), keys: picked.keys };
}

/** OpenInference `input.value`, parsed when `input.mime_type` says it is JSON. */
function openInferenceValue(attrs: Attributes, side: "input" | "output"): Picked | undefined {
  const picked = pick(attrs, [`${side}.value`]);
  if (!picked) return undefined;
  const mimeType = attrs[`${side}.mime_type`];
  const isJson = typeof mimeType === "string" && mimeType.toLowerCase().includes("json");
  return { value: isJson ? parseJson(picked.value) : picked.value, keys: picked.keys };
}

/**
 * OpenInference flattens messages into `llm.input_messages.N.message.role` and
 * friends; they come back as `[{role, content, tool_calls?}]`.
 */
function messagesOf(attrs: Attributes, prefix: string): Picked | undefined {
  const picked = unflatten(attrs, prefix);
  if (!picked || !Array.isArray(picked.value)) return picked;
  const messages = picked.value.map((entry) => {
    const message = isObject(entry) && isObject(entry.message) ? entry.message : entry;
    if (!isObject(message)) return message;
    const { tool_calls: toolCalls, ...rest } = message;
    if (!Array.isArray(toolCalls)) return rest;
    return {
      ...rest,
      tool_calls: toolCalls.map((call) => {
        const inner = isObject(call) && isObject(call.tool_call) ? call.tool_call : call;
        if (!isObject(inner) || !isObject(inner.function)) return inner;
        return { ...inner, function: { ...inner.function, arguments: parseJsonish(inner.function.arguments) } };
      }),
    };
  });
  return { value: messages, keys: picked.keys };
}

/** The AI SDK's `ai.response.text` and `ai.response.toolCalls`: text, tool calls, or both. */
function aiSdkResponse(attrs: Attributes): Picked | undefined {
  const text = pick(attrs, ["ai.response.text"]);
  const toolCalls = parsed(pick(attrs, ["ai.response.toolCalls"]));
  if (text && toolCalls)
    return { value: { text: text.value, toolCalls: toolCalls.value }, keys: [...text.keys, ...toolCalls.keys] };
  return text ?? toolCalls;
}

const ROLE_EVENTS: Record<string, string> = {
  "gen_ai.system.message": "system",
  "gen_ai.user.message": "user",
  "gen_ai.assistant.message": "assistant",
  "gen_ai.tool.message": "tool",
};

/** The older GenAI convention puts messages into span events; they stay on the span too. */
function fromEvents(
  events: OtlpEventRecord[],
  read: (event: OtlpEventRecord) => unknown[] | undefined,
): Picked | undefined {
  const values: unknown[] = [];
  for (const event of events) values.push(...(read(event) ?? []));
  return values.length > 0
    ? { value: values.length === 1 && !isObject(values[0]) ? values[0] : values, keys: [] }
    : undefined;
}

function inputEvent(event: OtlpEventRecord): unknown[] | undefined {
  if (event.name === "gen_ai.content.prompt") return single(parseJsonish(event.attributes["gen_ai.prompt"]));
  const role = ROLE_EVENTS[event.name];
  if (!role) return undefined;
  return [eventMessage(event.attributes, role)];
}

function outputEvent(event: OtlpEventRecord): unknown[] | undefined {
  if (event.name === "gen_ai.content.completion") return single(parseJsonish(event.attributes["gen_ai.completion"]));
  if (event.name !== "gen_ai.choice") return undefined;
  const message = parseJsonish(event.attributes.message);
  const base = isObject(message) ? { role: "assistant", ...message } : eventMessage(event.attributes, "assistant");
  const finishReason = event.attributes.finish_reason;
  return [finishReason === undefined ? base : { ...base, finish_reason: finishReason }];
}

function eventMessage(attrs: Attributes, role: string): Record<string, unknown> {
  const message: Record<string, unknown> = { role: typeof attrs.role === "string" ? attrs.role : role };
  const content = attrs.content ?? attrs["gen_ai.event.content"];
  if (content !== undefined) message.content = parseJsonish(content);
  if (attrs.tool_calls !== undefined) message.tool_calls = parseJsonish(attrs.tool_calls);
  if (attrs.id !== undefined) message.id = attrs.id;
  return message;
}

function single(value: unknown): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value : [value];
}
