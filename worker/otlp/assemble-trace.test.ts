import { describe, expect, it } from "vitest";
import { traceSchema } from "../domain/trace.js";
import { agentOfSpan, agentOfTrace } from "./agent.js";
import { assembleTrace, groupSpansByTrace } from "./assemble-trace.js";
import { decodedSpans, traceFrom } from "../../test/fixtures/otlp";
import type { SpanSpec } from "../../test/fixtures/otlp";

const ROOT = "1000000000000001";
const CHILD = "1000000000000002";

describe("agent of a trace", () => {
  it("prefers the root span's gen_ai.agent.name over nested agents", () => {
    const spans = decodedSpans([
      {
        resource: { "service.name": "svc" },
        spans: [
          {
            spanId: CHILD,
            parentSpanId: ROOT,
            name: "sub",
            start: 5,
            attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "inner" },
          },
          { spanId: ROOT, name: "root", start: 0, attributes: { "gen_ai.agent.name": "outer" } },
        ],
      },
    ]);
    expect(agentOfTrace(spans)).toBe("outer");
    expect(agentOfSpan(spans[0]!)).toBe("inner");
  });

  it("uses an agent span's name when the root has none, before other spans", () => {
    const spans = decodedSpans([
      {
        resource: { "service.name": "svc" },
        spans: [
          { spanId: ROOT, name: "POST /chat", start: 0 },
          {
            spanId: "1000000000000003",
            parentSpanId: ROOT,
            name: "tool",
            start: 1,
            attributes: { "gen_ai.agent.name": "from-tool" },
          },
          {
            spanId: CHILD,
            parentSpanId: ROOT,
            name: "agent",
            start: 2,
            attributes: { "openinference.span.kind": "AGENT", "gen_ai.agent.name": "planner" },
          },
        ],
      },
    ]);
    expect(agentOfTrace(spans)).toBe("planner");
  });

  it("falls back to the root resource's service.name, then unknown_service", () => {
    const spans = decodedSpans([
      {
        resource: { "service.name": "other-svc" },
        spans: [{ spanId: CHILD, parentSpanId: ROOT, name: "child", start: 5 }],
      },
      { resource: { "service.name": "root-svc" }, spans: [{ spanId: ROOT, name: "root", start: 0 }] },
    ]);
    expect(agentOfTrace(spans)).toBe("root-svc");
    expect(agentOfTrace(decodedSpans([{ spans: [{ spanId: ROOT, name: "root", start: 0 }] }]))).toBe("unknown_service");
    expect(agentOfSpan(spans[0]!)).toBe("other-svc");
  });

  it("fits agent names to the trace schema", () => {
    const spans = decodedSpans([
      {
        spans: [
          { spanId: ROOT, name: "root", start: 0, attributes: { "gen_ai.agent.name": `bad\nname${"x".repeat(300)}` } },
        ],
      },
    ]);
    const agent = agentOfTrace(spans);
    expect(agent).toHaveLength(200);
    expect(agent.startsWith("bad name")).toBe(true);
  });
});

describe("assembleTrace", () => {
  const errorSpans: SpanSpec[] = [
    {
      spanId: ROOT,
      name: "run",
      start: 0,
      end: 100,
      status: { code: 2 },
      events: [
        {
          name: "exception",
          at: 90,
          attributes: { "exception.type": "TimeoutError", "exception.message": "model timed out" },
        },
      ],
    },
    {
      spanId: CHILD,
      parentSpanId: ROOT,
      name: "chat",
      start: 10,
      end: 80,
      status: { code: 2, message: "429 Too Many Requests" },
    },
  ];

  it("marks the trace failed when the root span failed, with the exception message", () => {
    const trace = traceFrom([{ spans: errorSpans }]);
    expect(trace).toMatchObject({ status: "error", error: "model timed out" });
    expect(trace.spans[1]).toMatchObject({ status: "error", error: "429 Too Many Requests" });
  });

  it("gives a failed root without any message a generic error", () => {
    const trace = traceFrom([{ spans: [{ spanId: ROOT, name: "run", start: 0, status: { code: 2 } }] }]);
    expect(trace).toMatchObject({ status: "error", error: "root span 'run' failed" });
  });

  it("keeps the trace ok when only a child failed", () => {
    const trace = traceFrom([{ spans: [{ ...errorSpans[0]!, status: { code: 1 }, events: [] }, errorSpans[1]!] }]);
    expect(trace.status).toBe("ok");
    expect(trace.error).toBeUndefined();
    expect(trace.spans[1]!.status).toBe("error");
  });

  it("assembles a partial trace: a span whose parent is absent becomes a root", () => {
    const trace = traceFrom([
      {
        spans: [
          { spanId: CHILD, parentSpanId: "ffffffffffffffff", name: "orphan", start: 10, end: 20 },
          { spanId: "1000000000000003", parentSpanId: CHILD, name: "grandchild", start: 12, end: 30 },
        ],
      },
    ]);
    expect(trace.spans.map((s) => [s.name, s.parentId])).toEqual([
      ["orphan", null],
      ["grandchild", CHILD],
    ]);
    expect(trace).toMatchObject({ startTime: "2026-11-26T10:00:00.010Z", endTime: "2026-11-26T10:00:00.030Z" });
  });

  it("counts a span sent twice once, the later copy winning", () => {
    const spans = decodedSpans([
      { spans: [{ spanId: ROOT, name: "run", start: 0 }] },
      { spans: [{ spanId: ROOT, name: "run", start: 0, end: 50 }] },
    ]);
    const trace = assembleTrace(spans);
    expect(trace.spans).toHaveLength(1);
    expect(trace.spans[0]!.endTime).toBe("2026-11-26T10:00:00.050Z");
  });

  it("breaks parent loops so the trace passes the schema", () => {
    const trace = traceFrom([
      {
        spans: [
          { spanId: ROOT, parentSpanId: CHILD, name: "a", start: 0 },
          { spanId: CHILD, parentSpanId: ROOT, name: "b", start: 1 },
        ],
      },
    ]);
    expect(trace.spans.filter((s) => s.parentId === null)).toHaveLength(1);
  });

  it("keeps kind, scope, events and unconsumed attributes on the span", () => {
    const trace = traceFrom([
      {
        scope: { name: "my-lib", version: "3.1" },
        spans: [
          {
            spanId: ROOT,
            name: "run",
            kind: 2,
            start: 0,
            attributes: { "http.route": "/chat", "input.value": "hi" },
            events: [{ name: "retry" }],
          },
        ],
      },
    ]);
    expect(trace.spans[0]).toMatchObject({
      kind: "server",
      scope: { name: "my-lib", version: "3.1" },
      attributes: { "http.route": "/chat" },
      events: [{ name: "retry", time: "2026-11-26T10:00:00.000Z", attributes: {} }],
      input: "hi",
    });
    expect(trace.spans[0]!.attributes).not.toHaveProperty("input.value");
    expect(trace.input).toBe("hi");
  });

  it("takes trace input/output from the top agent span when the root has none", () => {
    const trace = traceFrom([
      {
        spans: [
          { spanId: ROOT, name: "POST /chat", start: 0 },
          {
            spanId: CHILD,
            parentSpanId: ROOT,
            name: "agent",
            start: 1,
            attributes: {
              "gen_ai.operation.name": "invoke_agent",
              "gen_ai.input.messages": '[{"role":"user"}]',
              "gen_ai.output.messages": '[{"role":"assistant"}]',
            },
          },
        ],
      },
    ]);
    expect(trace.input).toEqual([{ role: "user" }]);
    expect(trace.output).toEqual([{ role: "assistant" }]);
  });

  it("fits long or control-character span names into the schema", () => {
    const trace = traceFrom([{ spans: [{ spanId: ROOT, name: `a\tb${"c".repeat(300)}`, start: 0 }] }]);
    expect(trace.spans[0]!.name).toHaveLength(200);
    expect(trace.spans[0]!.name.startsWith("a b")).toBe(true);
  });

  it("refuses an empty list and spans of several traces", () => {
    expect(() => assembleTrace([])).toThrow(RangeError);
    const spans = decodedSpans([
      {
        spans: [
          { spanId: ROOT, name: "a", start: 0 },
          { traceId: "b".repeat(32), spanId: ROOT, name: "b", start: 0 },
        ],
      },
    ]);
    expect(() => assembleTrace(spans)).toThrow(/several traces/);
    const groups = groupSpansByTrace(spans);
    expect([...groups.keys()]).toEqual(["0af7651916cd43dd8448eb211c80319c", "b".repeat(32)]);
    for (const group of groups.values()) expect(traceSchema.safeParse(assembleTrace(group)).success).toBe(true);
  });
});
