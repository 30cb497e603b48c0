import { describe, expect, it } from "vitest";
import { totalUsage } from "../domain/trace.js";
import { spanTypeOf } from "./span-type.js";
import { decodedSpans, spanNamed, traceFrom } from "../../test/fixtures/otlp";

const toolCalls = [
  { toolCallType: "function", toolCallId: "call_1", toolName: "lookupOrder", input: '{"orderId":"A17"}' },
];
const promptMessages = [{ role: "user", content: [{ type: "text", text: "Where is my order A17?" }] }];

const resources = [
  {
    resource: { "service.name": "support-bot" },
    scope: { name: "ai", version: "6.0.0" },
    spans: [
      {
        spanId: "e000000000000001",
        name: "ai.generateText",
        start: 0,
        end: 3000,
        attributes: {
          "ai.operationId": "ai.generateText",
          "operation.name": "ai.generateText support",
          "ai.model.id": "gpt-4o-mini",
          "ai.model.provider": "openai.chat",
          "ai.prompt": '{"prompt":"Where is my order A17?"}',
          "ai.response.text": "It shipped yesterday.",
          "ai.usage.inputTokens": 150,
          "ai.usage.outputTokens": 40,
          "ai.telemetry.functionId": "support",
          "ai.telemetry.metadata.version": "prompt-v3",
          "ai.telemetry.metadata.userTier": "pro",
        },
      },
      {
        spanId: "e000000000000002",
        parentSpanId: "e000000000000001",
        name: "ai.generateText.doGenerate",
        start: 10,
        end: 1000,
        attributes: {
          "ai.operationId": "ai.generateText.doGenerate",
          "ai.model.id": "gpt-4o-mini",
          "ai.model.provider": "openai.chat",
          "ai.prompt.messages": JSON.stringify(promptMessages),
          "ai.response.text": "",
          "ai.response.toolCalls": JSON.stringify(toolCalls),
          "ai.usage.inputTokens": 100,
          "ai.usage.outputTokens": 20,
          "gen_ai.system": "openai.chat",
          "gen_ai.request.model": "gpt-4o-mini",
          "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        },
      },
      {
        spanId: "e000000000000003",
        parentSpanId: "e000000000000001",
        name: "ai.toolCall",
        start: 1100,
        end: 1200,
        attributes: {
          "ai.operationId": "ai.toolCall",
          "ai.toolCall.name": "lookupOrder",
          "ai.toolCall.id": "call_1",
          "ai.toolCall.args": '{"orderId":"A17"}',
          "ai.toolCall.result": '{"state":"shipped"}',
        },
      },
      {
        spanId: "e000000000000004",
        parentSpanId: "e000000000000001",
        name: "ai.generateText.doGenerate",
        start: 1300,
        end: 2900,
        attributes: {
          "ai.operationId": "ai.generateText.doGenerate",
          "ai.model.id": "gpt-4o-mini",
          "ai.model.provider": "openai.chat",
          "ai.response.text": "It shipped yesterday.",
          // AI SDK 4 names.
          "ai.usage.promptTokens": 50,
          "ai.usage.completionTokens": 20,
        },
      },
    ],
  },
];

describe("AI SDK telemetry", () => {
  const trace = traceFrom(resources);

  it("makes the top-level call the agent span and reads the trace from it", () => {
    expect(trace).toMatchObject({
      agent: "support-bot",
      version: "prompt-v3",
      input: { prompt: "Where is my order A17?" },
      output: "It shipped yesterday.",
      metadata: { functionId: "support", userTier: "pro", version: "prompt-v3" },
    });
    expect(trace.spans.map((s) => s.type)).toEqual(["agent", "llm", "tool", "llm"]);
  });

  it("reads the model calls, preferring the response model", () => {
    const [, first, , second] = trace.spans;
    expect(first).toMatchObject({
      model: "gpt-4o-mini-2024-07-18",
      provider: "openai.chat",
      usage: { inputTokens: 100, outputTokens: 20 },
      input: promptMessages,
      output: toolCalls,
    });
    expect(second).toMatchObject({
      model: "gpt-4o-mini",
      usage: { inputTokens: 50, outputTokens: 20 },
      output: "It shipped yesterday.",
    });
    expect(trace.spans[0]!.usage).toBeUndefined();
    expect(totalUsage(trace)).toMatchObject({ inputTokens: 150, outputTokens: 40 });
  });

  it("names the tool span after the tool and reads its arguments and result", () => {
    expect(spanNamed(trace, "lookupOrder")).toMatchObject({
      type: "tool",
      input: { orderId: "A17" },
      output: { state: "shipped" },
      metadata: { otelSpanName: "ai.toolCall", toolCallId: "call_1" },
    });
  });

  it("keeps both text and tool calls when a model call returns both", () => {
    const both = structuredClone(resources);
    both[0]!.spans[1]!.attributes["ai.response.text"] = "Let me check.";
    expect(traceFrom(both).spans[1]!.output).toEqual({ text: "Let me check.", toolCalls });
  });

  it("treats a nested generateText call as a step", () => {
    const [root] = decodedSpans(resources);
    expect(spanTypeOf(root!, true)).toBe("agent");
    expect(spanTypeOf(root!, false)).toBe("step");
    expect(spanTypeOf({ ...root!, name: "ai.streamText.doStream", attributes: {} }, false)).toBe("llm");
    expect(spanTypeOf({ ...root!, name: "ai.embed", attributes: {} }, false)).toBe("step");
  });
});
