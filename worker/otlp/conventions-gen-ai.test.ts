import { describe, expect, it } from "vitest";
import { totalUsage } from "../domain/trace.js";
import { spanNamed, traceFrom } from "../../test/fixtures/otlp";

const inputMessages = [{ role: "user", parts: [{ type: "text", content: "Where is my order A17?" }] }];
const outputMessages = [
  { role: "assistant", parts: [{ type: "text", content: "It has shipped." }], finish_reason: "stop" },
];

describe("OTel GenAI conventions (current)", () => {
  const trace = traceFrom([
    {
      resource: { "service.name": "support-service" },
      spans: [
        {
          spanId: "a000000000000001",
          name: "invoke_agent support-bot",
          start: 0,
          end: 2000,
          attributes: {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "support-bot",
            "gen_ai.agent.version": "prompt-v3",
            "gen_ai.conversation.id": "conv-9",
          },
        },
        {
          spanId: "a000000000000002",
          parentSpanId: "a000000000000001",
          name: "chat gpt-4o-mini",
          kind: 3,
          start: 10,
          end: 900,
          attributes: {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.input_tokens": 120,
            "gen_ai.usage.output_tokens": 30,
            "gen_ai.input.messages": JSON.stringify(inputMessages),
            "gen_ai.output.messages": JSON.stringify([
              { role: "assistant", parts: [{ type: "tool_call", name: "lookup_order" }] },
            ]),
          },
        },
        {
          spanId: "a000000000000003",
          parentSpanId: "a000000000000001",
          name: "execute_tool lookup_order",
          start: 1000,
          end: 1100,
          attributes: {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "lookup_order",
            "gen_ai.tool.call.id": "call_1",
            "gen_ai.tool.call.arguments": '{"orderId":"A17"}',
            "gen_ai.tool.call.result": '{"state":"shipped"}',
          },
        },
        {
          spanId: "a000000000000004",
          parentSpanId: "a000000000000001",
          name: "chat gpt-4o-mini",
          kind: 3,
          start: 1200,
          end: 1900,
          attributes: {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 200,
            "gen_ai.usage.output_tokens": 15,
            "gen_ai.output.messages": JSON.stringify(outputMessages),
          },
        },
      ],
    },
  ]);

  it("takes the agent, version and conversation from the agent span", () => {
    expect(trace).toMatchObject({
      id: "0af7651916cd43dd8448eb211c80319c",
      agent: "support-bot",
      version: "prompt-v3",
      status: "ok",
      startTime: "2026-11-26T10:00:00.000Z",
      endTime: "2026-11-26T10:00:02.000Z",
      metadata: { conversationId: "conv-9", resource: { "service.name": "support-service" } },
    });
  });

  it("types the spans and links them to the agent span", () => {
    expect(trace.spans.map((s) => [s.type, s.parentId])).toEqual([
      ["agent", null],
      ["llm", "a000000000000001"],
      ["tool", "a000000000000001"],
      ["llm", "a000000000000001"],
    ]);
  });

  it("reads model, provider, usage and parsed messages of the LLM calls", () => {
    const first = trace.spans[1]!;
    expect(first).toMatchObject({
      model: "gpt-4o-mini-2024-07-18",
      provider: "openai",
      usage: { inputTokens: 120, outputTokens: 30 },
      input: inputMessages,
      kind: "client",
    });
    expect(first.attributes).not.toHaveProperty("gen_ai.input.messages");
    expect(first.attributes).toHaveProperty("gen_ai.usage.input_tokens", 120);
    expect(totalUsage(trace)).toMatchObject({ inputTokens: 320, outputTokens: 45, totalTokens: 365 });
  });

  it("reads the tool call: name, arguments and result", () => {
    const tool = spanNamed(trace, "lookup_order");
    expect(tool).toMatchObject({
      type: "tool",
      input: { orderId: "A17" },
      output: { state: "shipped" },
      metadata: { otelSpanName: "execute_tool lookup_order", toolCallId: "call_1" },
    });
  });

  it("falls back to the first LLM input and the last LLM output for the trace", () => {
    expect(trace.input).toEqual(inputMessages);
    expect(trace.output).toEqual(outputMessages);
  });
});

describe("OTel GenAI conventions (deprecated attributes and events)", () => {
  it("reads gen_ai.system, prompt/completion tokens and message events", () => {
    const trace = traceFrom([
      {
        resource: { "service.name": "legacy-bot", "service.version": "2.0.1" },
        spans: [
          {
            spanId: "b000000000000001",
            name: "chat gpt-4",
            start: 0,
            end: 500,
            attributes: {
              "gen_ai.system": "openai",
              "gen_ai.request.model": "gpt-4",
              "gen_ai.usage.prompt_tokens": 50,
              "gen_ai.usage.completion_tokens": 9,
            },
            events: [
              { name: "gen_ai.system.message", attributes: { content: "Be brief." } },
              { name: "gen_ai.user.message", attributes: { content: "Hi" } },
              {
                name: "gen_ai.choice",
                attributes: { index: 0, finish_reason: "stop", message: '{"content":"Hello!"}' },
              },
            ],
          },
        ],
      },
    ]);
    expect(trace).toMatchObject({ agent: "legacy-bot", version: "2.0.1" });
    expect(trace.spans[0]).toMatchObject({
      type: "llm",
      provider: "openai",
      model: "gpt-4",
      usage: { inputTokens: 50, outputTokens: 9 },
      input: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
      output: [{ role: "assistant", content: "Hello!", finish_reason: "stop" }],
    });
    expect(trace.spans[0]!.events).toHaveLength(3);
    expect(trace.input).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ]);
  });

  it("reads gen_ai.content.prompt / completion events and indexed gen_ai.prompt.N keys", () => {
    const trace = traceFrom([
      {
        spans: [
          {
            spanId: "c000000000000001",
            name: "completion",
            start: 0,
            attributes: {
              "gen_ai.operation.name": "text_completion",
              "gen_ai.prompt.0.role": "user",
              "gen_ai.prompt.0.content": "2+2?",
              "gen_ai.completion.0.role": "assistant",
              "gen_ai.completion.0.content": "4",
            },
          },
          {
            spanId: "c000000000000002",
            name: "chat",
            start: 10,
            attributes: { "gen_ai.operation.name": "chat" },
            events: [
              { name: "gen_ai.content.prompt", attributes: { "gen_ai.prompt": '[{"role":"user","content":"3+3?"}]' } },
              {
                name: "gen_ai.content.completion",
                attributes: { "gen_ai.completion": '[{"role":"assistant","content":"6"}]' },
              },
            ],
          },
        ],
      },
    ]);
    expect(trace.agent).toBe("unknown_service");
    expect(trace.spans[0]).toMatchObject({
      input: [{ role: "user", content: "2+2?" }],
      output: [{ role: "assistant", content: "4" }],
    });
    expect(trace.spans[0]!.attributes).toEqual({ "gen_ai.operation.name": "text_completion" });
    expect(trace.spans[1]).toMatchObject({
      input: [{ role: "user", content: "3+3?" }],
      output: [{ role: "assistant", content: "6" }],
    });
  });
});
