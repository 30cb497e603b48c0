import { describe, expect, it } from "vitest";
import { totalUsage } from "../domain/trace.js";
import { spanNamed, traceFrom } from "../../test/fixtures/otlp";

describe("OpenInference conventions", () => {
  const trace = traceFrom([
    {
      resource: { "service.name": "weather-agent" },
      scope: { name: "openinference.instrumentation.langchain", version: "0.1.0" },
      spans: [
        {
          spanId: "d000000000000001",
          name: "AgentExecutor",
          start: 0,
          end: 3000,
          attributes: {
            "openinference.span.kind": "AGENT",
            "input.value": "What's the weather in Paris?",
            "input.mime_type": "text/plain",
            "output.value": '{"answer":"Sunny, 24°C"}',
            "output.mime_type": "application/json",
            "session.id": "sess-1",
            "user.id": "user-7",
            metadata: '{"experiment":"b","region":"eu"}',
            "tag.tags": ["weather", "prod"],
            "llm.token_count.prompt": 999,
          },
        },
        {
          spanId: "d000000000000002",
          parentSpanId: "d000000000000001",
          name: "ChatOpenAI",
          start: 10,
          end: 800,
          attributes: {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            "llm.provider": "openai",
            "llm.token_count.prompt": 80,
            "llm.token_count.completion": 12,
            "llm.token_count.total": 92,
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "You are a weather bot.",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.content": "What's the weather in Paris?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city":"Paris"}',
          },
        },
        {
          spanId: "d000000000000003",
          parentSpanId: "d000000000000001",
          name: "get_weather",
          start: 900,
          end: 1000,
          attributes: {
            "openinference.span.kind": "TOOL",
            "tool.name": "get_weather",
            "tool.parameters": '{"type":"object","properties":{"city":{"type":"string"}}}',
            "input.value": '{"city":"Paris"}',
            "input.mime_type": "application/json",
            "output.value": "Sunny, 24°C",
          },
        },
        {
          spanId: "d000000000000004",
          parentSpanId: "d000000000000001",
          name: "VectorStoreRetriever",
          start: 1100,
          end: 1200,
          attributes: { "openinference.span.kind": "RETRIEVER", "input.value": "paris climate" },
        },
        {
          spanId: "d000000000000005",
          parentSpanId: "d000000000000001",
          name: "rerank",
          start: 1300,
          attributes: { "openinference.span.kind": "RERANKER" },
        },
        {
          spanId: "d000000000000006",
          parentSpanId: "d000000000000001",
          name: "format",
          start: 1400,
          attributes: { "openinference.span.kind": "CHAIN" },
        },
        {
          spanId: "d000000000000007",
          parentSpanId: "d000000000000001",
          name: "embed",
          start: 1500,
          attributes: { "openinference.span.kind": "EMBEDDING", "embedding.model_name": "text-embedding-3-small" },
        },
      ],
    },
  ]);

  it("takes the agent from service.name and trace input/output from the agent span", () => {
    expect(trace).toMatchObject({
      agent: "weather-agent",
      input: "What's the weather in Paris?",
      output: { answer: "Sunny, 24°C" },
      tags: ["weather", "prod"],
      metadata: { sessionId: "sess-1", userId: "user-7", experiment: "b", region: "eu" },
    });
  });

  it("maps span kinds to span types", () => {
    expect(trace.spans.map((s) => s.type)).toEqual(["agent", "llm", "tool", "retrieval", "retrieval", "step", "llm"]);
    expect(spanNamed(trace, "embed").model).toBe("text-embedding-3-small");
  });

  it("rebuilds flattened messages and reads model and token counts", () => {
    const llm = spanNamed(trace, "ChatOpenAI");
    expect(llm).toMatchObject({
      model: "gpt-4o",
      provider: "openai",
      usage: { inputTokens: 80, outputTokens: 12, totalTokens: 92 },
      input: [
        { role: "system", content: "You are a weather bot." },
        { role: "user", content: "What's the weather in Paris?" },
      ],
      output: [
        { role: "assistant", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }] },
      ],
    });
    expect(Object.keys(llm.attributes as object).some((key) => key.startsWith("llm.input_messages."))).toBe(false);
    // The agent span's aggregated count is not added to the LLM calls' total.
    expect(totalUsage(trace)).toMatchObject({ inputTokens: 80, outputTokens: 12, totalTokens: 92 });
  });

  it("reads the tool call: JSON input by mime type, text output kept as text", () => {
    expect(spanNamed(trace, "get_weather")).toMatchObject({
      type: "tool",
      input: { city: "Paris" },
      output: "Sunny, 24°C",
      attributes: { "tool.parameters": '{"type":"object","properties":{"city":{"type":"string"}}}' },
    });
  });
});
