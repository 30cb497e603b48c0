import { describe, expect, it } from "vitest";
import type { GraderVersion } from "../grading";
import { answerTrace, gradeAnswer, readCandidateAnswer } from "./grade-case";

const exact: GraderVersion = {
  graderId: "grd_exact",
  version: 3,
  name: "exact",
  definition: { kind: "metric", metric: "exact_match" },
};
const refund: GraderVersion = {
  graderId: "grd_refund",
  version: 1,
  name: "refund",
  definition: { kind: "rule", check: "tool_called", tool: "refund" },
};
const run = { runId: "run_1", agent: "support-bot", candidateVersion: "prompt-v4" };
const item = { caseId: "case_1", input: "refund order A17", expected: "Refunded A17." };

function graded(raw: unknown, graders: GraderVersion[]) {
  const read = readCandidateAnswer(raw);
  if ("problem" in read) throw new Error(read.problem);
  return gradeAnswer(answerTrace(run, item, 0, read.answer), graders, item.expected);
}

describe("grading a candidate's answer", () => {
  it("passes an answer equal to the case's expected output, whether bare or wrapped in {output}", () => {
    expect(graded("Refunded A17.", [exact]).verdict).toBe("pass");
    expect(graded({ output: "Refunded A17." }, [exact]).verdict).toBe("pass");
  });

  it("fails with the failing grader's id, version and reason", () => {
    const result = graded("Sorry.", [exact]);
    expect(result.verdict).toBe("fail");
    expect(result.reason).toMatch(/^grd_exact@3: /);
  });

  it("grades the spans the candidate reports, so tool graders see its tool calls", () => {
    const withTool = {
      output: "Refunded A17.",
      spans: [{ id: "s1", type: "tool", name: "refund", input: { orderId: "A17" } }],
    };
    expect(graded(withTool, [exact, refund]).verdict).toBe("pass");
    expect(graded({ output: "Refunded A17." }, [exact, refund]).verdict).toBe("fail");
  });

  it("makes an answer that no pinned grader could judge an error, never a pass", () => {
    const broken: GraderVersion = {
      graderId: "grd_bad",
      version: 1,
      name: "bad",
      definition: { kind: "rule", check: "nope" } as never,
    };
    const result = graded("anything", [broken]);
    expect(result.verdict).toBe("error");
    expect(result.reason).toContain("no grader could judge the answer");
  });

  it("calls an answer with malformed spans garbage, naming the field", () => {
    const read = readCandidateAnswer({ output: "x", spans: [{ id: "s1", type: "robot", name: "t" }] });
    expect(read).toEqual({ problem: expect.stringContaining("spans.0.type") });
  });

  it("stamps the trace with the run, the case and the candidate version", () => {
    const trace = answerTrace(run, item, 2, { output: "x" });
    expect(trace).toMatchObject({
      id: "run_1:case_1:2",
      agent: "support-bot",
      version: "prompt-v4",
      input: item.input,
    });
    expect(trace.metadata).toEqual({ evalRunId: "run_1", caseId: "case_1", repeat: 2 });
  });
});
