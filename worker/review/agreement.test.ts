import { describe, expect, it } from "vitest";
import { agreementOf } from "./agreement";
import { calibrationOf } from "./calibration";

type V = "pass" | "fail";
const pairs = (counts: [V, V, number][]) =>
  counts.flatMap(([a, b, n]) => Array.from({ length: n }, (): [V, V] => [a, b]));

describe("agreementOf", () => {
  it("matches the textbook example: 20 yes/yes, 15 no/no, 5 yes/no, 10 no/yes gives kappa 0.4", () => {
    // Cohen's kappa worked example: po = 0.7, pe = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.4.
    const a = agreementOf(
      pairs([
        ["pass", "pass", 20],
        ["fail", "fail", 15],
        ["pass", "fail", 5],
        ["fail", "pass", 10],
      ]),
    );
    expect(a.n).toBe(50);
    expect(a.percentAgreement).toBeCloseTo(0.7, 10);
    expect(a.kappa).toBeCloseTo(0.4, 10);
    // SE = sqrt(0.7 * 0.3 / (50 * 0.5^2)) = 0.129615
    expect(a.kappaCI!.low).toBeCloseTo(0.4 - 1.96 * 0.129615, 4);
    expect(a.kappaCI!.high).toBeCloseTo(0.4 + 1.96 * 0.129615, 4);
  });

  it("gives kappa 1 for perfect agreement and a negative kappa for systematic disagreement", () => {
    expect(
      agreementOf(
        pairs([
          ["pass", "pass", 3],
          ["fail", "fail", 2],
        ]),
      ).kappa,
    ).toBeCloseTo(1, 10);
    // po = 0, pe = 0.5*0.5*2 = 0.5: kappa = -1.
    expect(
      agreementOf(
        pairs([
          ["pass", "fail", 2],
          ["fail", "pass", 2],
        ]),
      ).kappa,
    ).toBeCloseTo(-1, 10);
  });

  it("never gives a zero-width kappa interval when every trace agrees or none does", () => {
    // One disagreement: po = 0, pe = 0, kappa = 0; Wilson(0 of 1) = [0, 0.7935] maps to the same on kappa.
    const one = agreementOf([["pass", "fail"]]);
    expect(one.kappa).toBe(0);
    expect(one.kappaCI!.low).toBeCloseTo(0, 10);
    expect(one.kappaCI!.high).toBeCloseTo(0.7935, 3);
    // Two agreements, one pass one fail: po = 1, pe = 0.5, kappa = 1; Wilson(2 of 2) = [0.3424, 1] -> [-0.3152, 1].
    const two = agreementOf(
      pairs([
        ["pass", "pass", 1],
        ["fail", "fail", 1],
      ]),
    );
    expect(two.kappa).toBeCloseTo(1, 10);
    expect(two.kappaCI!.low).toBeCloseTo(2 * 0.3424 - 1, 3);
    expect(two.kappaCI!.high).toBe(1);
    // Many agreements narrow it.
    const many = agreementOf(
      pairs([
        ["pass", "pass", 50],
        ["fail", "fail", 50],
      ]),
    );
    expect(many.kappaCI!.low).toBeGreaterThan(two.kappaCI!.low);
    expect(many.kappaCI!.low).toBeGreaterThan(0.9);
  });

  it("says nothing for no traces, and leaves kappa undefined when both always say the same", () => {
    expect(agreementOf([])).toMatchObject({ n: 0, kappa: null, percentAgreement: null });
    const same = agreementOf(pairs([["pass", "pass", 4]]));
    expect(same.kappa).toBeNull();
    expect(same.percentAgreement).toBe(1);
  });
});

describe("calibrationOf", () => {
  const settings = { enabled: true, minVerdicts: 4, kappaThreshold: 0.6 };
  it("is not required when calibration is off", () => {
    expect(calibrationOf(agreementOf([]), { ...settings, enabled: false }).state).toBe("not_required");
  });
  it("stays uncalibrated until enough human verdicts, then follows kappa", () => {
    const few = agreementOf(
      pairs([
        ["pass", "pass", 2],
        ["fail", "fail", 1],
      ]),
    );
    expect(calibrationOf(few, settings)).toMatchObject({
      state: "uncalibrated",
      reason: "3 of the 4 human verdicts needed so far",
    });
    const good = agreementOf(
      pairs([
        ["pass", "pass", 3],
        ["fail", "fail", 2],
      ]),
    );
    expect(calibrationOf(good, settings).state).toBe("calibrated");
    const poor = agreementOf(
      pairs([
        ["pass", "pass", 2],
        ["fail", "pass", 2],
        ["fail", "fail", 1],
      ]),
    );
    expect(calibrationOf(poor, settings).state).toBe("uncalibrated");
  });
});
