import { describe, expect, it } from "vitest";
import { grade } from "./grade";
import { graderOf, makeTrace, span } from "../../test/fixtures/grading";

const refundCall = (input: unknown, id = "t1") => span({ id, type: "tool", name: "refund", input });

describe("tool_called / tool_not_called", () => {
  it("passes when the tool was called and fails when it never was", () => {
    expect(grade(makeTrace(), graderOf({ kind: "rule", check: "tool_called", tool: "lookup_order" }))).toMatchObject({
      verdict: "pass",
      reason: "tool `lookup_order` was called once",
    });
    expect(grade(makeTrace(), graderOf({ kind: "rule", check: "tool_called", tool: "refund" }))).toMatchObject({
      verdict: "fail",
      reason: "tool `refund` was never called",
    });
  });

  it("only counts tool spans, not LLM spans of the same name", () => {
    const trace = makeTrace({ spans: [span({ id: "s1", type: "llm", name: "refund" })] });
    expect(grade(trace, graderOf({ kind: "rule", check: "tool_called", tool: "refund" })).verdict).toBe("fail");
  });

  it("checks arguments by path (equals and contains), on any one call", () => {
    const trace = makeTrace({
      spans: [
        refundCall({ order: { id: "A17" }, amount: 12 }, "t1"),
        refundCall({ order: { id: "A17" }, amount: 10, note: "late delivery" }, "t2"),
      ],
    });
    const grader = (args: unknown[]) => graderOf({ kind: "rule", check: "tool_called", tool: "refund", args } as never);
    expect(
      grade(
        trace,
        grader([
          { path: "amount", equals: 10 },
          { path: "note", contains: "late" },
        ]),
      ).verdict,
    ).toBe("pass");
    expect(grade(trace, grader([{ path: "order", equals: { id: "A17" } }])).verdict).toBe("pass");
    const miss = grade(trace, grader([{ path: "amount", equals: 15 }]));
    expect(miss).toMatchObject({
      verdict: "fail",
      reason: "tool `refund` was called 2 times but never with `amount` equal to 15 (first call had `amount` = 12)",
    });
  });

  it("reads arguments recorded as a JSON string (OTLP style)", () => {
    const trace = makeTrace({ spans: [refundCall('{"amount": 10}')] });
    const grader = graderOf({
      kind: "rule",
      check: "tool_called",
      tool: "refund",
      args: [{ path: "amount", equals: 10 }],
    });
    expect(grade(trace, grader).verdict).toBe("pass");
  });

  it("a missing argument never equals a value, and contains needs a value", () => {
    const trace = makeTrace({ spans: [refundCall({})] });
    const g = (arg: object) => graderOf({ kind: "rule", check: "tool_called", tool: "refund", args: [arg] } as never);
    expect(grade(trace, g({ path: "amount", equals: 0 })).verdict).toBe("fail");
    expect(grade(trace, g({ path: "amount", contains: "und" })).verdict).toBe("fail");
  });

  it("tool_not_called fails with the call count", () => {
    const grader = graderOf({ kind: "rule", check: "tool_not_called", tool: "lookup_order" });
    expect(grade(makeTrace(), grader)).toMatchObject({
      verdict: "fail",
      reason: "tool `lookup_order` was called once; it must not be called",
    });
    expect(grade(makeTrace({ spans: [] }), grader).verdict).toBe("pass");
  });
});

describe("max_tool_calls / max_llm_calls", () => {
  const trace = makeTrace({
    spans: [
      span({ id: "a", type: "llm", name: "chat" }),
      span({ id: "b", type: "llm", name: "chat" }),
      refundCall({}, "c"),
      span({ id: "d", type: "tool", name: "search" }),
      span({ id: "e", type: "tool", name: "search" }),
    ],
  });

  it("counts tool calls, overall or of one tool, against the limit inclusively", () => {
    expect(grade(trace, graderOf({ kind: "rule", check: "max_tool_calls", n: 3 })).verdict).toBe("pass");
    expect(grade(trace, graderOf({ kind: "rule", check: "max_tool_calls", n: 2 }))).toMatchObject({
      verdict: "fail",
      reason: "3 tool calls exceed the limit of 2",
    });
    expect(grade(trace, graderOf({ kind: "rule", check: "max_tool_calls", n: 1, tool: "search" })).reason).toBe(
      "2 calls of tool `search` exceed the limit of 1",
    );
  });

  it("counts LLM calls", () => {
    expect(grade(trace, graderOf({ kind: "rule", check: "max_llm_calls", n: 2 })).verdict).toBe("pass");
    expect(grade(trace, graderOf({ kind: "rule", check: "max_llm_calls", n: 0 })).reason).toBe(
      "2 LLM calls exceed the limit of 0",
    );
  });
});

describe("no_error_spans", () => {
  it("names the failing span and its error", () => {
    const trace = makeTrace({
      spans: [span({ id: "x", type: "tool", name: "refund", status: "error", error: "card declined" })],
    });
    expect(grade(trace, graderOf({ kind: "rule", check: "no_error_spans" }))).toMatchObject({
      verdict: "fail",
      reason: "span `refund` (tool) ended in error: card declined",
    });
  });

  it("also fails an errored trace unless includeTraceStatus is false", () => {
    const trace = makeTrace({ status: "error", error: "timeout", spans: [] });
    expect(grade(trace, graderOf({ kind: "rule", check: "no_error_spans" })).reason).toBe(
      "the trace ended in error: timeout",
    );
    expect(grade(trace, graderOf({ kind: "rule", check: "no_error_spans", includeTraceStatus: false })).verdict).toBe(
      "pass",
    );
  });

  it("passes a clean trace", () => {
    expect(grade(makeTrace(), graderOf({ kind: "rule", check: "no_error_spans" })).verdict).toBe("pass");
  });
});

describe("latency_budget", () => {
  it("compares the trace's wall-clock time with the budget", () => {
    expect(grade(makeTrace(), graderOf({ kind: "rule", check: "latency_budget", ms: 1500 })).verdict).toBe("pass");
    expect(grade(makeTrace(), graderOf({ kind: "rule", check: "latency_budget", ms: 1000 }))).toMatchObject({
      verdict: "fail",
      reason: "latency 1500 ms exceeds budget 1000 ms",
    });
  });

  it("falls back to the spans' extent, and skips when nothing is timed", () => {
    const untimed = makeTrace({ startTime: undefined, endTime: undefined });
    expect(grade(untimed, graderOf({ kind: "rule", check: "latency_budget", ms: 1000 })).reason).toBe(
      "latency 1100 ms exceeds budget 1000 ms",
    );
    const result = grade(
      makeTrace({ startTime: undefined, endTime: undefined, spans: [] }),
      graderOf({ kind: "rule", check: "latency_budget", ms: 1 }),
    );
    expect(result).toMatchObject({ verdict: "skipped", score: null });
  });
});

describe("token_budget / cost_budget", () => {
  it("checks every given token budget", () => {
    expect(grade(makeTrace(), graderOf({ kind: "rule", check: "token_budget", total: 150, output: 30 })).verdict).toBe(
      "pass",
    );
    expect(
      grade(makeTrace(), graderOf({ kind: "rule", check: "token_budget", total: 1000, input: 100 })),
    ).toMatchObject({
      verdict: "fail",
      reason: "120 input tokens exceed budget 100",
    });
  });

  it("skips traces that report no usage", () => {
    const trace = makeTrace({ spans: [span({ id: "a", type: "llm", name: "chat" })] });
    expect(grade(trace, graderOf({ kind: "rule", check: "token_budget", total: 1 })).verdict).toBe("skipped");
    expect(grade(trace, graderOf({ kind: "rule", check: "cost_budget", usd: 1 })).verdict).toBe("skipped");
  });

  it("compares summed cost in dollars", () => {
    const trace = makeTrace({
      spans: [
        span({ id: "a", type: "llm", name: "chat", usage: { cost: 0.25 } }),
        span({ id: "b", type: "llm", name: "chat", usage: { cost: 0.5 } }),
      ],
    });
    expect(grade(trace, graderOf({ kind: "rule", check: "cost_budget", usd: 0.75 })).verdict).toBe("pass");
    expect(grade(trace, graderOf({ kind: "rule", check: "cost_budget", usd: 0.5 }))).toMatchObject({
      verdict: "fail",
      reason: "cost $0.75 exceeds budget $0.5",
    });
  });
});
