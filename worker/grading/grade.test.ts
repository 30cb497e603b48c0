import { describe, expect, it } from "vitest";
import type { ScoreResult } from "./definitions";
import { compileGrader, grade, gradeTrace, gradeWindow, isWindowLevel } from "./grade";
import { graderOf, makeTrace } from "../../test/fixtures/grading";
import { finalVerdict } from "./verdict";

describe("grade", () => {
  it("stamps the score with the grader id and version", () => {
    const result = grade(makeTrace(), graderOf({ kind: "rule", check: "contains", text: "A17" }, "has-order", 7));
    expect(result).toEqual({
      graderId: "has-order",
      graderVersion: 7,
      verdict: "pass",
      score: 1,
      reason: "output contains `A17`",
    });
  });

  it("turns an invalid definition into an error score instead of throwing", () => {
    const result = grade(makeTrace(), graderOf({ kind: "rule", check: "regex" } as never, "bad", 1));
    expect(result).toMatchObject({ graderId: "bad", verdict: "error", score: null });
    expect(result.reason).toMatch(/^invalid grader definition: pattern: /);
  });

  it("turns a grader that throws on a malformed trace into an error score", () => {
    const trace = makeTrace({ spans: null as never });
    const result = grade(trace, graderOf({ kind: "rule", check: "max_llm_calls", n: 1 }));
    expect(result.verdict).toBe("error");
    expect(result.reason).not.toBe("");
  });

  it("skips a trace outside the grader's filter", () => {
    const result = grade(makeTrace(), graderOf({ kind: "rule", check: "no_error_spans", filter: { hasTag: "prod" } }));
    expect(result).toMatchObject({ verdict: "skipped", reason: "the grader's filter does not match this trace" });
  });

  it("compiles a grader version once and reuses it", () => {
    const grader = graderOf({ kind: "rule", check: "regex", pattern: "A\\d+" });
    const first = compileGrader(grader);
    grade(makeTrace(), grader);
    expect(compileGrader(grader)).toBe(first);
    expect(isWindowLevel(grader)).toBe(false);
  });
});

describe("gradeTrace", () => {
  const graders = [
    graderOf({ kind: "rule", check: "contains", text: "A17" }, "a"),
    graderOf({ kind: "rule", check: "tool_called", tool: "refund", filter: { versionEquals: "prompt-v4" } }, "b"),
    graderOf({ kind: "rule", check: "max_llm_calls", n: 0, filter: { versionIn: ["prompt-v3", "prompt-v4"] } }, "c"),
    graderOf({ kind: "rule", check: "no_error_spans", filter: { metadataEquals: { path: "user", value: "u1" } } }, "d"),
    graderOf({ kind: "rule", check: "no_error_spans", filter: { metadataEquals: { path: "user", value: "u2" } } }, "e"),
    graderOf({ kind: "rule", check: "no_error_spans", filter: { hasTag: "beta", versionEquals: "prompt-v3" } }, "f"),
  ];

  it("returns a score only for graders whose filter matches, in order", () => {
    const scores = gradeTrace(makeTrace(), graders);
    expect(scores.map((s) => [s.graderId, s.verdict])).toEqual([
      ["a", "pass"],
      ["c", "fail"],
      ["d", "pass"],
      ["f", "pass"],
    ]);
  });

  it("passes the explicit reference to metric graders", () => {
    const metric = graderOf({ kind: "metric", metric: "exact_match" });
    expect(gradeTrace(makeTrace({ output: "x" }), [metric], { reference: "x" })[0]!.verdict).toBe("pass");
  });

  it("keeps grading the other graders when one errors", () => {
    const broken = graderOf({ kind: "rule", check: "nope" } as never, "broken");
    const scores = gradeTrace(makeTrace(), [broken, graders[0]!]);
    expect(scores.map((s) => s.verdict)).toEqual(["error", "pass"]);
  });

  it("a trace without a version matches no version filter", () => {
    const scores = gradeTrace(makeTrace({ version: undefined }), graders);
    expect(scores.map((s) => s.graderId)).toEqual(["a", "d"]);
  });

  it("gradeWindow ignores trace-level graders", () => {
    expect(gradeWindow([makeTrace()], graders)).toEqual([]);
  });
});

describe("finalVerdict", () => {
  const s = (verdict: ScoreResult["verdict"]) => ({ verdict });
  it("fails if any grader failed", () => expect(finalVerdict([s("pass"), s("fail"), s("error")])).toBe("fail"));
  it("passes if something passed and nothing failed, errors notwithstanding", () => {
    expect(finalVerdict([s("pass"), s("error"), s("skipped")])).toBe("pass");
  });
  it("is none when nothing was graded", () => {
    expect(finalVerdict([])).toBe("none");
    expect(finalVerdict([s("skipped"), s("error")])).toBe("none");
  });
});
