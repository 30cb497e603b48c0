/**
 * @module One judge's score on one trace from its samples. Samples that agree make a pass
 * or a fail; samples that split make the judge *unstable* on that trace, which is reported
 * as such (a `skipped` score naming the split, and a dispute) rather than as a pass or a
 * fail. A sample that never parsed makes the score an `error`.
 */
import type { JudgeSample } from "./parse-answer";

export interface CombinedJudgeScore {
  verdict: "pass" | "fail" | "skipped" | "error";
  score: number | null;
  reason: string;
  unstable: boolean;
}

export function combineSamples(samples: readonly (JudgeSample | { error: string })[]): CombinedJudgeScore {
  const failed = samples.find((s): s is { error: string } => "error" in s);
  if (failed || samples.length === 0) {
    return {
      verdict: "error",
      score: null,
      reason: failed ? `judge error: ${failed.error}` : "judge error: no samples",
      unstable: false,
    };
  }
  const good = samples as readonly JudgeSample[];
  const passes = good.filter((s) => s.verdict === "pass").length;
  const mean = good.reduce((sum, s) => sum + s.score, 0) / good.length;
  if (passes === good.length || passes === 0) {
    const verdict = passes === 0 ? "fail" : "pass";
    return { verdict, score: mean, reason: good[0]!.reason || `the judge answered ${verdict}`, unstable: false };
  }
  return {
    verdict: "skipped",
    score: null,
    reason: `unstable: ${passes} of ${good.length} samples pass, ${good.length - passes} fail`,
    unstable: true,
  };
}
