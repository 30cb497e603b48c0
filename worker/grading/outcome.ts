/**
 * @module What a grader's evaluation yields before it is stamped with the grader
 * id and version. Rules score 1 or 0; metrics may score anything in [0, 1].
 */

export interface Outcome {
  verdict: "pass" | "fail" | "skipped";
  score: number | null;
  reason: string;
}

export const passed = (reason: string, score = 1): Outcome => ({ verdict: "pass", score, reason });
export const failed = (reason: string, score = 0): Outcome => ({ verdict: "fail", score, reason });
export const skipped = (reason: string): Outcome => ({ verdict: "skipped", score: null, reason });
