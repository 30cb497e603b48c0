import { describe, expect, it } from "vitest";
import { spanNamed, traceFrom } from "../../test/fixtures/otlp";

describe("Langfuse SDK attributes", () => {
  const trace = traceFrom([
    {
      resource: { "service.name": "checkout-agent" },
      scope: { name: "langfuse-sdk", version: "4.0.0" },
      spans: [
        {
          spanId: "f000000000000001",
          name: "handle-request",
          start: 0,
          end: 5000,
          attributes: {
            "langfuse.observation.type": "span",
            "langfuse.trace.name": "checkout",
            "langfuse.user.id": "u-1",
            "langfuse.session.id": "s-1",
            "langfuse.trace.tags": ["beta", "eu", "beta"],
            "langfuse.trace.metadata.plan": "pro",
            "langfuse.trace.metadata.flags": '{"fast":true}',
            "langfuse.version": "v7",
            "langfuse.release": "2026.11",
            "langfuse.trace.input": '{"question":"Can I pay by invoice?"}',
            "langfuse.observation.input": "raw request",
            "langfuse.observation.output": "raw response",
          },
        },
        {
          spanId: "f000000000000002",
          parentSpanId: "f000000000000001",
          name: "answer",
          start: 100,
          end: 2000,
          attributes: {
            "langfuse.observation.type": "generation",
            "langfuse.observation.model.name": "gpt-4o",
            "langfuse.observation.usage_details": '{"input":11,"output":7,"total":18}',
            "langfuse.observation.cost_details": '{"input":0.001,"output":0.002}',
            "langfuse.observation.input": '[{"role":"user","content":"Can I pay by invoice?"}]',
            "langfuse.observation.output": '{"role":"assistant","content":"Yes."}',
          },
        },
        {
          spanId: "f000000000000003",
          parentSpanId: "f000000000000001",
          name: "search_docs",
          start: 2100,
          end: 2500,
          attributes: {
            "langfuse.observation.type": "tool",
            "langfuse.observation.input": '{"query":"invoice"}',
            "langfuse.observation.output": '["doc-1","doc-2"]',
          },
        },
        {
          spanId: "f000000000000004",
          parentSpanId: "f000000000000001",
          name: "fetch",
          start: 2600,
          attributes: { "langfuse.observation.type": "retriever" },
        },
        {
          spanId: "f000000000000005",
          parentSpanId: "f000000000000001",
          name: "note",
          start: 2700,
          attributes: { "langfuse.observation.type": "event" },
        },
        {
          spanId: "f000000000000006",
          parentSpanId: "f000000000000001",
          name: "planner",
          start: 2800,
          attributes: { "langfuse.observation.type": "agent" },
        },
        {
          spanId: "f000000000000007",
          parentSpanId: "f000000000000001",
          name: "flaky",
          start: 2900,
          attributes: {
            "langfuse.observation.level": "ERROR",
            "langfuse.observation.status_message": "upstream timed out",
          },
        },
        {
          spanId: "f000000000000008",
          parentSpanId: "f000000000000001",
          name: "finish",
          start: 4000,
          attributes: { "langfuse.trace.output": "Yes, invoices are accepted." },
        },
      ],
    },
  ]);

  it("reads trace input/output, name, user, session, tags, metadata and version", () => {
    expect(trace).toMatchObject({
      agent: "checkout-agent",
      version: "v7",
      input: { question: "Can I pay by invoice?" },
      output: "Yes, invoices are accepted.",
      tags: ["beta", "eu"],
      metadata: {
        traceName: "checkout",
        userId: "u-1",
        sessionId: "s-1",
        release: "2026.11",
        plan: "pro",
        flags: { fast: true },
      },
    });
  });

  it("maps observation types to span types", () => {
    expect(trace.spans.map((s) => [s.name, s.type])).toEqual([
      ["handle-request", "step"],
      ["answer", "llm"],
      ["search_docs", "tool"],
      ["fetch", "retrieval"],
      ["note", "step"],
      ["planner", "agent"],
      ["flaky", "step"],
      ["finish", "step"],
    ]);
  });

  it("reads a generation's model, usage details, cost and input/output", () => {
    expect(spanNamed(trace, "answer")).toMatchObject({
      model: "gpt-4o",
      usage: { inputTokens: 11, outputTokens: 7, totalTokens: 18, cost: 0.003 },
      input: [{ role: "user", content: "Can I pay by invoice?" }],
      output: { role: "assistant", content: "Yes." },
    });
  });

  it("reads tool input/output and error levels", () => {
    expect(spanNamed(trace, "search_docs")).toMatchObject({ input: { query: "invoice" }, output: ["doc-1", "doc-2"] });
    expect(spanNamed(trace, "flaky")).toMatchObject({ status: "error", error: "upstream timed out" });
    expect(trace.status).toBe("ok");
  });

  it("accepts the newer user.id / session.id keys and tags as a JSON string", () => {
    const newer = traceFrom([
      {
        spans: [
          {
            spanId: "f100000000000001",
            name: "root",
            start: 0,
            attributes: {
              "user.id": "u-2",
              "session.id": "s-2",
              "langfuse.trace.tags": '["a","b"]',
              "langfuse.observation.type": "agent",
            },
          },
        ],
      },
    ]);
    expect(newer).toMatchObject({ metadata: { userId: "u-2", sessionId: "s-2" }, tags: ["a", "b"] });
    expect(newer.spans[0]!.type).toBe("agent");
  });

  it("lets the generic span type defer to GenAI attributes", () => {
    const mixed = traceFrom([
      {
        spans: [
          {
            spanId: "f200000000000001",
            name: "llm",
            start: 0,
            attributes: { "langfuse.observation.type": "span", "gen_ai.operation.name": "chat" },
          },
        ],
      },
    ]);
    expect(mixed.spans[0]!.type).toBe("llm");
  });
});
