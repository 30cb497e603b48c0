/**
 * The README's grader examples are definitions users copy: each must be accepted as
 * written and compile into a grader that runs.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { graderDefinitionSchema } from "./definitions";
import { grade, gradeWindow } from "./grade";
import { graderOf, makeTrace } from "../../test/fixtures/grading";

const readme = readFileSync(path.join(import.meta.dirname, "..", "..", "README.md"), "utf8");
const section = readme.slice(readme.indexOf("### Grader kinds"), readme.indexOf("### Traces sent before a grader"));
const examples = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as { kind: string });

describe("README grader examples", () => {
  it("cover every rule check and metric", () => {
    const kinds = new Set(
      examples.map((e) => (e as { check?: string; metric?: string }).check ?? (e as { metric?: string }).metric),
    );
    for (const kind of [
      "contains",
      "not_contains",
      "regex",
      "json_valid",
      "json_schema",
      "tool_called",
      "tool_not_called",
      "max_tool_calls",
      "max_llm_calls",
      "no_error_spans",
      "latency_budget",
      "token_budget",
      "cost_budget",
      "exact_match",
      "normalized_match",
      "similarity",
      "latency_percentile",
    ]) {
      expect(kinds.has(kind), kind).toBe(true);
    }
  });

  it.each(examples.map((e) => [JSON.stringify(e), e]))("%s is accepted and runs", (_, example) => {
    const parsed = graderDefinitionSchema.safeParse(example);
    expect(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues)).toBe(true);
    const grader = graderOf(example as never);
    const trace = makeTrace();
    const scores = [grade(trace, grader), ...gradeWindow([trace], [grader])];
    expect(
      scores.every((s) => s.verdict !== "error"),
      JSON.stringify(scores),
    ).toBe(true);
  });
});
