import { describe, expect, it } from "vitest";
import type { GraderVersion, ScoreResult } from "../grading";
import { answerTrace, decideAnswer, gradeAnswer, readCandidateAnswer } from "./grade-case";

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

  it("applies graders filtered on metadata or tags when the answer carries them, as on a production trace", () => {
    const proOnly: GraderVersion = {
      graderId: "grd_pro",
      version: 1,
      name: "pro plans get a refund",
      definition: { ...refund.definition, filter: { metadataEquals: { path: "plan", value: "pro" } } },
    };
    const betaOnly: GraderVersion = {
      graderId: "grd_beta",
      version: 1,
      name: "beta answers say so",
      definition: { kind: "rule", check: "contains", text: "beta", filter: { hasTag: "beta" } },
    };
    // No refund tool call: the pro-plan rule fails the answer only when it applies.
    expect(graded({ output: "Refunded A17." }, [exact, proOnly]).verdict).toBe("pass");
    expect(graded({ output: "Refunded A17.", metadata: { plan: "pro" } }, [exact, proOnly]).verdict).toBe("fail");
    expect(graded({ output: "Refunded A17.", metadata: { plan: "free" } }, [exact, proOnly]).verdict).toBe("pass");
    expect(graded({ output: "Refunded A17.", tags: ["beta"] }, [exact, betaOnly]).verdict).toBe("fail");
    expect(graded({ output: "Refunded A17." }, [exact, betaOnly]).verdict).toBe("pass");
  });

  it("keeps the run's own metadata keys and tag whatever the answer claims", () => {
    const read = readCandidateAnswer({ output: "x", metadata: { evalRunId: "forged", plan: "pro" }, tags: ["beta"] });
    if ("problem" in read) throw new Error(read.problem);
    const trace = answerTrace(run, item, 1, read.answer);
    expect(trace.metadata).toEqual({ plan: "pro", evalRunId: "run_1", caseId: "case_1", repeat: 1 });
    expect(trace.tags).toEqual(["beta", "eval-run"]);
  });
});

describe("deciding an answer with a judge's score", () => {
  const rule = (verdict: ScoreResult["verdict"]): ScoreResult => ({
    graderId: "grd_exact",
    graderVersion: 3,
    verdict,
    score: verdict === "pass" ? 1 : 0,
    reason: `exact ${verdict}`,
  });
  const judge = (verdict: ScoreResult["verdict"], reason: string, unstable = false) => ({
    score: { graderId: "grd_helpful", graderVersion: 2, verdict, score: null, reason },
    unstable,
  });
  const anyFail = { policy: "any_fail" as const, uncalibratedJudges: [] };

  it("a judge's fail fails an answer every rule passed, naming the judge", () => {
    const result = decideAnswer([rule("pass")], [judge("fail", "the agent refused")], anyFail);
    expect(result.verdict).toBe("fail");
    expect(result.reason).toBe("grd_helpful@2: the agent refused");
  });

  it("a judge that could not judge the answer makes it an error, never a pass", () => {
    const result = decideAnswer([rule("pass")], [judge("error", "judge error: no verdict in the reply")], anyFail);
    expect(result.verdict).toBe("error");
    expect(result.reason).toContain("no verdict in the reply");
  });

  it("a judge whose samples split makes the answer an error, not a pass", () => {
    const split = judge("skipped", "unstable: 1 of 2 samples pass, 1 fail", true);
    expect(decideAnswer([rule("pass")], [split], anyFail).verdict).toBe("error");
  });

  it("a rule's fail still fails the answer when the judge split", () => {
    const split = judge("skipped", "unstable: 1 of 2 samples pass, 1 fail", true);
    expect(decideAnswer([rule("fail")], [split], anyFail).verdict).toBe("fail");
  });

  it("an uncalibrated judge's fail shows but does not fail the answer, as in the windows", () => {
    const rules = { policy: "any_fail" as const, uncalibratedJudges: ["grd_helpful@2"] };
    const result = decideAnswer([rule("pass")], [judge("fail", "the agent refused")], rules);
    expect(result.verdict).toBe("pass");
    expect(result.scores).toHaveLength(2);
  });

  it("under the majority policy a judge's fail against one rule's pass is a tie, and a tie fails", () => {
    const rules = { policy: "majority" as const, uncalibratedJudges: [] };
    expect(decideAnswer([rule("pass")], [judge("fail", "refused")], rules).verdict).toBe("fail");
    expect(decideAnswer([rule("pass"), rule("pass")], [judge("fail", "refused")], rules).verdict).toBe("pass");
  });
});
