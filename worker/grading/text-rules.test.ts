import { describe, expect, it } from "vitest";
import { grade } from "./grade";
import { stripCodeFence } from "./text-rules";
import { graderOf, makeTrace } from "../../test/fixtures/grading";

describe("contains / not_contains", () => {
  it("passes and fails on the output text", () => {
    const trace = makeTrace();
    expect(grade(trace, graderOf({ kind: "rule", check: "contains", text: "shipped" }))).toMatchObject({
      verdict: "pass",
      score: 1,
    });
    const miss = grade(trace, graderOf({ kind: "rule", check: "contains", text: "refund" }));
    expect(miss).toMatchObject({ verdict: "fail", score: 0, reason: "output does not contain `refund`" });
  });

  it("is case-sensitive unless told otherwise", () => {
    const trace = makeTrace({ output: "Refund issued" });
    expect(grade(trace, graderOf({ kind: "rule", check: "contains", text: "refund" })).verdict).toBe("fail");
    expect(
      grade(trace, graderOf({ kind: "rule", check: "contains", text: "REFUND", caseSensitive: false })).verdict,
    ).toBe("pass");
  });

  it("searches the JSON text of structured outputs and reads dotted targets", () => {
    const trace = makeTrace({ output: { answer: "42", sources: ["faq"] } });
    expect(grade(trace, graderOf({ kind: "rule", check: "contains", text: '"sources":["faq"]' })).verdict).toBe("pass");
    expect(
      grade(trace, graderOf({ kind: "rule", check: "contains", text: "4", target: "output.answer" })).verdict,
    ).toBe("pass");
    expect(grade(trace, graderOf({ kind: "rule", check: "contains", text: "Where", target: "input" })).verdict).toBe(
      "pass",
    );
  });

  it("says when the target is missing", () => {
    const result = grade(
      makeTrace(),
      graderOf({ kind: "rule", check: "contains", text: "x", target: "output.answer" }),
    );
    expect(result).toMatchObject({
      verdict: "fail",
      reason: "output.answer does not contain `x` (`output.answer` is missing)",
    });
  });

  it("not_contains inverts the check", () => {
    const trace = makeTrace({ output: "I cannot help with that" });
    const grader = graderOf({ kind: "rule", check: "not_contains", text: "cannot help" });
    expect(grade(trace, grader)).toMatchObject({
      verdict: "fail",
      reason: "output contains `cannot help`, which it must not",
    });
    expect(grade(makeTrace(), grader).verdict).toBe("pass");
  });
});

describe("regex", () => {
  it("passes on a match and quotes the pattern on a miss", () => {
    const grader = graderOf({ kind: "rule", check: "regex", pattern: "^\\d+$" });
    expect(grade(makeTrace({ output: "12345" }), grader).verdict).toBe("pass");
    expect(grade(makeTrace({ output: "12a45" }), grader)).toMatchObject({
      verdict: "fail",
      reason: "output does not match /^\\d+$/",
    });
  });

  it("honours flags", () => {
    const grader = graderOf({ kind: "rule", check: "regex", pattern: "^order a\\d+", flags: "i" });
    expect(grade(makeTrace({ output: "ORDER A17" }), grader).verdict).toBe("pass");
  });

  it("answers the same for the same trace every time (no lastIndex state)", () => {
    const grader = graderOf({ kind: "rule", check: "regex", pattern: "A17" });
    const trace = makeTrace();
    expect([1, 2, 3].map(() => grade(trace, grader).verdict)).toEqual(["pass", "pass", "pass"]);
  });

  it("scans only the first maxInputChars characters, and says so", () => {
    const grader = graderOf({ kind: "rule", check: "regex", pattern: "needle", maxInputChars: 100 });
    const result = grade(makeTrace({ output: `${"x".repeat(200)}needle` }), grader);
    expect(result.verdict).toBe("fail");
    expect(result.reason).toContain("only the first 100 of 206 characters were scanned");
  });

  it("refuses a catastrophic pattern as an error score rather than running it", () => {
    const result = grade(
      makeTrace({ output: `${"a".repeat(40)}!` }),
      graderOf({ kind: "rule", check: "regex", pattern: "^(a+)+$" }),
    );
    expect(result.verdict).toBe("error");
    expect(result.reason).toMatch(/invalid grader definition: pattern: .*nests a repetition/);
  });
});

describe("json_valid", () => {
  const grader = graderOf({ kind: "rule", check: "json_valid" });

  it("passes for JSON text and for structured values", () => {
    expect(grade(makeTrace({ output: '{"a": [1, 2]}' }), grader).verdict).toBe("pass");
    expect(grade(makeTrace({ output: { a: 1 } }), grader).verdict).toBe("pass");
    expect(grade(makeTrace({ output: 0 }), grader).verdict).toBe("pass");
  });

  it("fails with the parser's complaint", () => {
    const result = grade(makeTrace({ output: "{'a': 1}" }), grader);
    expect(result.verdict).toBe("fail");
    expect(result.reason).toMatch(/^output is not valid JSON: /);
  });

  it("fails when the output is missing", () => {
    expect(grade(makeTrace({ output: undefined }), grader)).toMatchObject({
      verdict: "fail",
      reason: "`output` is missing",
    });
  });

  it("accepts a code fence only when allowed, and hints at the option", () => {
    const fenced = makeTrace({ output: '```json\n{"a": 1}\n```' });
    expect(grade(fenced, grader).reason).toContain("set allowCodeFence");
    expect(grade(fenced, graderOf({ kind: "rule", check: "json_valid", allowCodeFence: true })).verdict).toBe("pass");
  });

  it("stripCodeFence leaves unfenced text alone", () => {
    expect(stripCodeFence("```\n[1]\n```")).toBe("[1]\n");
    expect(stripCodeFence('{"a":1}')).toBe('{"a":1}');
  });
});

describe("json_schema", () => {
  const grader = graderOf({
    kind: "rule",
    check: "json_schema",
    schema: {
      type: "object",
      required: ["answer", "confidence"],
      properties: { answer: { type: "string" }, confidence: { type: "number", maximum: 1 } },
    },
  });

  it("passes a conforming output (JSON text or structured)", () => {
    expect(grade(makeTrace({ output: '{"answer": "yes", "confidence": 0.9}' }), grader).verdict).toBe("pass");
    expect(grade(makeTrace({ output: { answer: "yes", confidence: 1 } }), grader).verdict).toBe("pass");
  });

  it("fails with the schema violations", () => {
    const result = grade(makeTrace({ output: { answer: 3, confidence: 2 } }), grader);
    expect(result).toMatchObject({ verdict: "fail" });
    expect(result.reason).toBe(
      "output does not satisfy the schema: $.answer must be string, got integer; $.confidence must be <= 1, got 2",
    );
  });

  it("fails on unparseable output before validating", () => {
    expect(grade(makeTrace({ output: "not json" }), grader).reason).toMatch(/^output is not valid JSON/);
  });
});
