import { describe, expect, it } from "vitest";
import { normaliseTrace, totalUsage, traceLatencyMs, traceSchema } from "./trace";

const base = { agent: "bot", spans: [] as unknown[] };

describe("traceSchema", () => {
  it("accepts the documented shape and keeps unknown fields", () => {
    const parsed = traceSchema.parse({
      ...base,
      id: "run-42",
      custom: { a: 1 },
      startTime: "2026-11-26T10:00:00.000+01:00",
      endTime: 1795686001500,
      spans: [{ id: "s1", type: "llm", name: "chat", usage: { inputTokens: 3 }, vendor: "x" }],
    });
    expect(parsed.custom).toEqual({ a: 1 });
    expect(parsed.startTime).toBe("2026-11-26T09:00:00.000Z");
    expect(parsed.endTime).toBe(new Date(1795686001500).toISOString());
    expect(parsed.spans?.[0]).toMatchObject({ status: "ok", vendor: "x" });
  });

  it("names the offending field", () => {
    const issues = (value: unknown) => traceSchema.safeParse(value).error?.issues.map((i) => i.path.join("."));
    expect(issues({})).toContain("agent");
    expect(issues({ ...base, spans: [{ id: "a", type: "x", name: "n" }] })).toContain("spans.0.type");
    expect(
      issues({
        ...base,
        spans: [
          { id: "a", type: "llm", name: "n" },
          { id: "a", type: "llm", name: "m" },
        ],
      }),
    ).toContain("spans.1.id");
    expect(
      issues({
        ...base,
        spans: [
          { id: "a", type: "llm", name: "n", parentId: "b" },
          { id: "b", type: "llm", name: "m", parentId: "a" },
        ],
      }),
    ).toContain("spans.0.parentId");
    expect(issues({ ...base, agent: "bad\u0000name" })).toContain("agent");
    expect(issues({ ...base, tags: Array(51).fill("t") })).toContain("tags");
  });
});

describe("derived values", () => {
  it("computes latency, defaults and usage", () => {
    const trace = normaliseTrace(
      traceSchema.parse({
        ...base,
        error: "boom",
        startTime: "2026-11-26T10:00:00.000Z",
        endTime: "2026-11-26T10:00:02.250Z",
        spans: [
          { id: "a", type: "llm", name: "x", usage: { inputTokens: 10, outputTokens: 5, cost: 0.01 } },
          { id: "b", type: "llm", name: "y", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 4 } },
        ],
      }),
      "t1",
    );
    expect(trace.status).toBe("error");
    expect(trace.tags).toEqual([]);
    expect(traceLatencyMs(trace)).toBe(2250);
    expect(totalUsage(trace)).toEqual({ inputTokens: 11, outputTokens: 7, totalTokens: 19, cost: 0.01 });
  });

  it("stores a trace the same whether its id was sent or derived", () => {
    const sent = normaliseTrace(traceSchema.parse({ id: "t1", ...base }), "t1");
    const derived = normaliseTrace(traceSchema.parse(base), "t1");
    expect(JSON.stringify(sent)).toBe(JSON.stringify(derived));
  });
});
