/**
 * @module The report of a run that has just started: every case pending, nothing judged.
 * The launch builds it from the spec it has just sent, rather than have the run's object
 * compute it and carry every pending case back over RPC while its first calls wait.
 */
import { computeRunMetrics } from "../../worker/eval/metrics";
import { isJudge } from "../../worker/judge/run-judges";
import type { EvalRunReport, EvalRunSpec } from "./contract";
import { addUsage } from "./judge-answers";

export function newRunReport(spec: EvalRunSpec): EvalRunReport {
  const { metrics, cases } = computeRunMetrics(spec.cases, [], spec.repeats);
  return {
    runId: spec.runId,
    status: "running",
    finalized: false,
    metrics,
    cases,
    results: null,
    waitingForJudge: null,
    judgeUsage: spec.graders.some(isJudge) ? addUsage(null, []) : null,
  };
}
