/**
 * @module Which Flywheel span type (llm, tool, retrieval, step, agent) an OTLP
 * span is, from whichever convention its instrumentation follows: Langfuse,
 * OTel GenAI, OpenInference or the AI SDK, then from telling attributes.
 */
import type { SpanType } from "../domain/trace.js";
import type { OtlpSpanRecord } from "./span-record.js";

const LANGFUSE_TYPES: Record<string, SpanType> = {
  generation: "llm",
  embedding: "llm",
  agent: "agent",
  tool: "tool",
  retriever: "retrieval",
  chain: "step",
  evaluator: "step",
  guardrail: "step",
};

const GEN_AI_OPERATIONS: Record<string, SpanType> = {
  chat: "llm",
  text_completion: "llm",
  generate_content: "llm",
  embeddings: "llm",
  execute_tool: "tool",
  invoke_agent: "agent",
  create_agent: "agent",
};

const OPENINFERENCE_KINDS: Record<string, SpanType> = {
  llm: "llm",
  embedding: "llm",
  tool: "tool",
  retriever: "retrieval",
  reranker: "retrieval",
  agent: "agent",
  chain: "step",
  guardrail: "step",
  evaluator: "step",
  prompt: "step",
};

/** The AI SDK's top-level calls: the agent when they start the trace, a step inside another agent. */
const AI_SDK_CALLS = new Set(["ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject"]);

const lower = (value: unknown): string | undefined => (typeof value === "string" ? value.toLowerCase() : undefined);

/**
 * The span's type. `isRoot` matters only for spans that are an agent run when
 * they start the trace and a step when nested (the AI SDK's `ai.generateText`).
 * Langfuse's generic `span` / `event` types defer to the other conventions.
 */
export function spanTypeOf(span: OtlpSpanRecord, isRoot: boolean): SpanType {
  const attrs = span.attributes;
  const explicit =
    LANGFUSE_TYPES[lower(attrs["langfuse.observation.type"]) ?? ""] ??
    GEN_AI_OPERATIONS[lower(attrs["gen_ai.operation.name"]) ?? ""] ??
    OPENINFERENCE_KINDS[lower(attrs["openinference.span.kind"]) ?? ""] ??
    aiSdkType(span, isRoot);
  if (explicit) return explicit;
  if (attrs["gen_ai.tool.name"] !== undefined || attrs["tool.name"] !== undefined) return "tool";
  if (attrs["gen_ai.request.model"] !== undefined || attrs["llm.model_name"] !== undefined) return "llm";
  if (isRoot && attrs["gen_ai.agent.name"] !== undefined) return "agent";
  return "step";
}

function aiSdkType(span: OtlpSpanRecord, isRoot: boolean): SpanType | undefined {
  const operation = span.attributes["ai.operationId"];
  const id = typeof operation === "string" ? operation : span.name;
  if (!id.startsWith("ai.")) return undefined;
  if (id.endsWith(".doGenerate") || id.endsWith(".doStream") || id.endsWith(".doEmbed")) return "llm";
  if (id === "ai.toolCall") return "tool";
  if (id === "ai.rerank" || id.endsWith(".doRerank")) return "retrieval";
  if (AI_SDK_CALLS.has(id)) return isRoot ? "agent" : "step";
  return "step";
}
