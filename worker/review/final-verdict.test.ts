import { describe, expect, it } from "vitest";
import { decideFinalVerdict, failuresBehind, type VerdictInput } from "./final-verdict";

const rule = (graderId: string, verdict: VerdictInput["verdict"]): VerdictInput => ({
  graderId,
  graderVersion: 1,
  kind: "rule",
  verdict,
  reason: `${graderId} said ${verdict}`,
});
const judge = (
  graderId: string,
  verdict: VerdictInput["verdict"],
  extra: Partial<VerdictInput> = {},
): VerdictInput => ({
  ...rule(graderId, verdict),
  kind: "judge",
  ...extra,
});
const human = (reviewer: string, verdict: "pass" | "fail"): VerdictInput => ({
  graderId: "human",
  graderVersion: 0,
  kind: "human",
  verdict,
  reason: "looked at it",
  reviewer,
});

describe("decideFinalVerdict", () => {
  it("any_fail: one fail fails the trace and names the failing grader", () => {
    const d = decideFinalVerdict([rule("a", "pass"), rule("b", "fail")], "any_fail");
    expect(d.verdict).toBe("fail");
    expect(d.reason).toContain("b v1");
    expect(failuresBehind(d)).toEqual([{ graderId: "b", graderVersion: 1, reason: "b said fail" }]);
  });

  it("majority: two passes outvote one fail; a tie fails", () => {
    expect(decideFinalVerdict([rule("a", "pass"), rule("b", "pass"), rule("c", "fail")], "majority").verdict).toBe(
      "pass",
    );
    expect(decideFinalVerdict([rule("a", "pass"), rule("b", "fail")], "majority").verdict).toBe("fail");
  });

  it("human_overrides: a human pass overrides a grader's fail; without a human it is any_fail", () => {
    const graders = [rule("a", "pass"), judge("j", "fail")];
    expect(decideFinalVerdict(graders, "human_overrides").verdict).toBe("fail");
    const reviewed = decideFinalVerdict([...graders, human("ann", "pass")], "human_overrides");
    expect(reviewed.verdict).toBe("pass");
    expect(reviewed.reason).toMatch(/^decided by review/);
    // Every score stays visible behind the verdict.
    expect(reviewed.basis.map((b) => b.graderId)).toEqual(["a", "j", "human"]);
  });

  it("errors and skips are neither pass nor fail", () => {
    expect(decideFinalVerdict([rule("a", "error"), rule("b", "skipped")], "any_fail").verdict).toBe("none");
  });

  it("disputes linked graders that disagree", () => {
    const d = decideFinalVerdict([rule("a", "pass"), judge("j", "fail")], "any_fail", [
      { graderA: "a", graderB: "j", criterion: "politeness" },
    ]);
    expect(d.disputed).toBe(true);
    expect(d.disputes[0]).toContain('"politeness"');
    expect(
      decideFinalVerdict([rule("a", "pass"), judge("j", "pass")], "any_fail", [
        { graderA: "a", graderB: "j", criterion: "x" },
      ]).disputed,
    ).toBe(false);
  });

  it("disputes an unstable judge, which counts as neither pass nor fail", () => {
    const d = decideFinalVerdict(
      [judge("j", "skipped", { unstable: true, reason: "unstable: 1 of 2 samples pass" })],
      "any_fail",
    );
    expect(d).toMatchObject({ verdict: "none", disputed: true });
  });

  it("disputes a judge that a human contradicts", () => {
    const d = decideFinalVerdict([judge("j", "fail"), human("ann", "pass")], "human_overrides");
    expect(d.disputed).toBe(true);
    expect(d.disputes[0]).toContain("reviewer ann says pass");
  });

  it("an uncalibrated judge's fail shows but does not fail the trace on its own", () => {
    const alone = decideFinalVerdict([rule("a", "pass"), judge("j", "fail", { uncalibrated: true })], "any_fail");
    expect(alone.verdict).toBe("pass");
    expect(alone.basis[1]).toMatchObject({
      verdict: "fail",
      counted: false,
      note: "uncalibrated judge: shown, not counted",
    });
    const withRule = decideFinalVerdict([rule("a", "fail"), judge("j", "fail", { uncalibrated: true })], "any_fail");
    expect(withRule.verdict).toBe("fail");
  });
});
