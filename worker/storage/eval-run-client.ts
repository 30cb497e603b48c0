/** @module The typed stub of a run's EvalRun Durable Object: one object per eval run id. */
export function evalRunObject(env: Env, runId: string) {
  return env.EVAL_RUN.get(env.EVAL_RUN.idFromName(runId));
}
