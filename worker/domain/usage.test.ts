import { describe, expect, it } from "vitest";
import { grade } from "../grading/grade";
import { graderOf, makeTrace, span } from "../../test/fixtures/grading";
import { totalUsage } from "./trace";

/** An agent span carrying the rollup of its two LLM calls, as many SDKs record it. */
const rollupTrace = () =>
  makeTrace({
    spans: [
      span({ id: "a", type: "agent", name: "agent", usage: { inputTokens: 300, outputTokens: 60, cost: 0.003 } }),
      span({
        id: "l1",
        parentId: "a",
        type: "llm",
        name: "chat",
        usage: { inputTokens: 100, outputTokens: 20, cost: 0.001 },
      }),
      span({
        id: "l2",
        parentId: "a",
        type: "llm",
        name: "chat",
        usage: { inputTokens: 200, outputTokens: 40, cost: 0.002 },
      }),
    ],
  });

describe("token usage counted once", () => {
  it("counts the LLM spans, not an agent span's rollup of them", () => {
    expect(totalUsage(rollupTrace())).toEqual({ inputTokens: 300, outputTokens: 60, totalTokens: 360, cost: 0.003 });
  });

  it("keeps a trace within budget when only the rollup would push it over", () => {
    const budget = graderOf({ kind: "rule", check: "token_budget", total: 400 });
    expect(grade(rollupTrace(), budget).verdict).toBe("pass");
    const cost = graderOf({ kind: "rule", check: "cost_budget", usd: 0.004 });
    expect(grade(rollupTrace(), cost).verdict).toBe("pass");
    expect(grade(rollupTrace(), graderOf({ kind: "rule", check: "token_budget", total: 359 })).verdict).toBe("fail");
  });

  it("does not count an LLM wrapper span and the call inside it twice", () => {
    const trace = makeTrace({
      spans: [
        span({ id: "w", type: "llm", name: "ai.generateText", usage: { inputTokens: 50, outputTokens: 10 } }),
        span({ id: "c", parentId: "w", type: "llm", name: "doGenerate", usage: { inputTokens: 50, outputTokens: 10 } }),
      ],
    });
    expect(totalUsage(trace).totalTokens).toBe(60);
    expect(grade(trace, graderOf({ kind: "rule", check: "max_llm_calls", n: 1 })).verdict).toBe("pass");
  });

  it("falls back to the trace's own usage when no LLM span reports any", () => {
    const trace = {
      ...makeTrace({ spans: [span({ id: "s", type: "step", name: "plan" })] }),
      usage: { inputTokens: 7, outputTokens: 3 },
    };
    expect(totalUsage(trace)).toMatchObject({ inputTokens: 7, outputTokens: 3, totalTokens: 10 });
    expect(grade(trace, graderOf({ kind: "rule", check: "token_budget", total: 9 })).verdict).toBe("fail");
  });

  it("falls back to the outermost reporting spans when neither exists", () => {
    const trace = makeTrace({
      spans: [
        span({ id: "a", type: "agent", name: "agent", usage: { inputTokens: 30, outputTokens: 5 } }),
        span({ id: "s", parentId: "a", type: "step", name: "step", usage: { inputTokens: 30, outputTokens: 5 } }),
      ],
    });
    expect(totalUsage(trace).totalTokens).toBe(35);
  });

  it("still skips a trace that reports no usage at all", () => {
    const trace = makeTrace({ spans: [span({ id: "s", type: "tool", name: "t" })] });
    expect(grade(trace, graderOf({ kind: "rule", check: "token_budget", total: 1 })).verdict).toBe("skipped");
  });
});
