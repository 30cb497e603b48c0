/**
 * @module A trace's overall verdict from the scores of all its graders.
 */
import type { ScoreResult } from "./definitions";

export type FinalVerdict = "pass" | "fail" | "none";

/**
 * A trace's overall verdict: `fail` if any grader failed, else `pass` if any
 * passed, else `none`. Errors do not make a fail: a broken grader says nothing
 * about the agent, and it is retried rather than counted against it.
 */
export function finalVerdict(scores: readonly Pick<ScoreResult, "verdict">[]): FinalVerdict {
  let anyPass = false;
  for (const score of scores) {
    if (score.verdict === "fail") return "fail";
    if (score.verdict === "pass") anyPass = true;
  }
  return anyPass ? "pass" : "none";
}
