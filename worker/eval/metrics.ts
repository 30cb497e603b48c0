/**
 * @module The headline numbers of an eval run, computed from per-(case, repeat)
 * results and the baseline's per-case outcomes. Pure: the server, the EvalRun
 * Durable Object and the tests all call this one function, so a number on the
 * site, in the CLI and in a test means the same thing everywhere.
 *
 * Definitions (README "Eval runs"):
 * - a case's outcome over its repeats: `flaky` when some repeats pass and some fail;
 *   else `error` when any repeat errored (a timeout or garbage is never a pass);
 *   else `pass` / `fail`; `pending` while a repeat has no result yet.
 * - improvement rate: the version's failure cases (not guard cases) whose outcome is
 *   `pass`, over all failure cases.
 * - regressions: cases (guard cases included) whose baseline outcome was `pass` and
 *   whose outcome is now `fail`. Flaky cases are never improvements or regressions.
 * - pass rate: passing (case, repeat) results over all finished ones, with a Wilson interval.
 */
import { type Interval, wilsonInterval } from "../grading/statistics";

export type ResultVerdict = "pass" | "fail" | "error";
export type CaseOutcome = ResultVerdict | "flaky" | "pending";
/** What the baseline says of a case; `dataset` baselines derive it from the case kind. */
export type BaselineOutcome = "pass" | "fail" | "flaky" | "error" | "unknown";

export interface EvalCaseRef {
  caseId: string;
  guard: boolean;
  /** The case's outcome in the baseline run (or, with no run, what the dataset says). */
  baseline: BaselineOutcome;
}

export interface EvalResult {
  caseId: string;
  repeat: number;
  verdict: ResultVerdict;
  reason: string;
}

export interface CaseReport {
  caseId: string;
  guard: boolean;
  outcome: CaseOutcome;
  baseline: BaselineOutcome;
  /** Verdicts by repeat index; null where a repeat has no result yet. */
  repeats: (ResultVerdict | null)[];
  /** The first failing or erroring repeat's reason, else the first reason. */
  reason: string | null;
}

export interface RunMetrics {
  caseCount: number;
  failureCaseCount: number;
  guardCaseCount: number;
  /** (case, repeat) results recorded so far, out of caseCount * repeats. */
  completed: number;
  total: number;
  counts: { pass: number; fail: number; error: number; flaky: number; pending: number };
  /** Failure cases that pass now over all failure cases; null for a version with no failure case. */
  improvementRate: number | null;
  improvementRateCI: Interval | null;
  regressionCount: number;
  passRate: number | null;
  passRateCI: Interval | null;
  /** Failure cases passing now. */
  fixed: string[];
  /** Cases that did not pass in the baseline and pass now (guard or not). */
  improved: string[];
  regressed: string[];
  flaky: string[];
  errored: string[];
}

/** The baseline outcome a dataset implies when no run is the baseline: guard cases passed, failure cases failed. */
export function datasetBaseline(guard: boolean): BaselineOutcome {
  return guard ? "pass" : "fail";
}

/** A case's outcome over its repeats (see the module comment). */
export function caseOutcome(repeats: readonly (ResultVerdict | null)[]): CaseOutcome {
  let pass = 0;
  let fail = 0;
  let error = 0;
  let pending = 0;
  for (const verdict of repeats) {
    if (verdict === "pass") pass++;
    else if (verdict === "fail") fail++;
    else if (verdict === "error") error++;
    else pending++;
  }
  if (pass > 0 && fail > 0) return "flaky";
  if (pending > 0) return "pending";
  if (error > 0) return "error";
  return pass > 0 ? "pass" : "fail";
}

/** Reports per case (in the order of `cases`) and the run's metrics. */
export function computeRunMetrics(
  cases: readonly EvalCaseRef[],
  results: readonly EvalResult[],
  repeats: number,
): { metrics: RunMetrics; cases: CaseReport[] } {
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new RangeError(`repeats must be a whole number >= 1, got ${repeats}`);
  const byCase = new Map<string, { verdicts: (ResultVerdict | null)[]; reasons: (string | null)[] }>();
  for (const ref of cases) {
    byCase.set(ref.caseId, { verdicts: new Array(repeats).fill(null), reasons: new Array(repeats).fill(null) });
  }
  let completed = 0;
  let passes = 0;
  for (const result of results) {
    const slot = byCase.get(result.caseId);
    // Results of cases outside the version, repeats out of range or a second result of one
    // (case, repeat) are ignored: every slot counts once, whatever retries delivered.
    if (!slot || result.repeat < 0 || result.repeat >= repeats || slot.verdicts[result.repeat] !== null) continue;
    slot.verdicts[result.repeat] = result.verdict;
    slot.reasons[result.repeat] = result.reason;
    completed++;
    if (result.verdict === "pass") passes++;
  }

  const counts = { pass: 0, fail: 0, error: 0, flaky: 0, pending: 0 };
  const lists = {
    fixed: [] as string[],
    improved: [] as string[],
    regressed: [] as string[],
    flaky: [] as string[],
    errored: [] as string[],
  };
  let failureCases = 0;
  let fixedCount = 0;
  const reports: CaseReport[] = [];
  for (const ref of cases) {
    const slot = byCase.get(ref.caseId)!;
    const outcome = caseOutcome(slot.verdicts);
    counts[outcome]++;
    if (!ref.guard) failureCases++;
    if (outcome === "pass") {
      if (!ref.guard) {
        fixedCount++;
        lists.fixed.push(ref.caseId);
      }
      if (ref.baseline !== "pass") lists.improved.push(ref.caseId);
    } else if (outcome === "fail" && ref.baseline === "pass") {
      lists.regressed.push(ref.caseId);
    } else if (outcome === "flaky") {
      lists.flaky.push(ref.caseId);
    } else if (outcome === "error") {
      lists.errored.push(ref.caseId);
    }
    reports.push({
      caseId: ref.caseId,
      guard: ref.guard,
      outcome,
      baseline: ref.baseline,
      repeats: slot.verdicts,
      reason: pickReason(slot.verdicts, slot.reasons),
    });
  }

  return {
    cases: reports,
    metrics: {
      caseCount: cases.length,
      failureCaseCount: failureCases,
      guardCaseCount: cases.length - failureCases,
      completed,
      total: cases.length * repeats,
      counts,
      improvementRate: failureCases === 0 ? null : fixedCount / failureCases,
      improvementRateCI: failureCases === 0 ? null : wilsonInterval(fixedCount, failureCases),
      regressionCount: lists.regressed.length,
      passRate: completed === 0 ? null : passes / completed,
      passRateCI: completed === 0 ? null : wilsonInterval(passes, completed),
      ...lists,
    },
  };
}

function pickReason(verdicts: readonly (ResultVerdict | null)[], reasons: readonly (string | null)[]): string | null {
  const bad = verdicts.findIndex((verdict) => verdict === "fail" || verdict === "error");
  if (bad >= 0) return reasons[bad] ?? null;
  return reasons.find((reason) => reason !== null) ?? null;
}

/** The outcome a later run compares against: what this run's case outcome says as a baseline. */
export function asBaseline(outcome: CaseOutcome): BaselineOutcome {
  return outcome === "pending" ? "unknown" : outcome;
}
