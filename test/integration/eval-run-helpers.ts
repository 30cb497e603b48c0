/** @module Helpers for the eval-run integration tests: a dataset of failure and guard cases, and runs driven through the API. */
import { api, expectJson } from "./dataset-helpers";
import { createGrader } from "./grading-helpers";

export const AGENT = "support-bot";

/** Four failure cases the current agent gets wrong and two guard cases it gets right; each expects its own answer. */
export const FAILURE_CASES = ["f1", "f2", "f3", "f4"];
export const GUARD_CASES = ["g1", "g2"];
export const expectedAnswer = (caseId: string) => `answer-${caseId}`;

export async function seedDataset(apiKey: string): Promise<{ datasetId: string; graderId: string }> {
  const grader = await createGrader(apiKey, {
    agent: AGENT,
    name: "matches the reference",
    definition: { kind: "metric", metric: "exact_match" },
  });
  const created = await expectJson<{ id: string }>(
    api(apiKey, "POST", "/api/datasets", { name: `regressions-${crypto.randomUUID()}`, agent: AGENT }),
    201,
  );
  const cases = [
    ...FAILURE_CASES.map((id) => ({
      id,
      input: `question ${id}`,
      expected: expectedAnswer(id),
      failure: { graderId: grader.id, graderVersion: 1, reason: "output does not match the reference" },
    })),
    ...GUARD_CASES.map((id) => ({ id, input: `question ${id}`, expected: expectedAnswer(id), guard: true })),
  ];
  await expectJson(api(apiKey, "POST", `/api/datasets/${created.id}/cases`, { cases }), 201);
  return { datasetId: created.id, graderId: grader.id };
}

/** A client-side run answered by `answer(caseId, repeat)`; returns the finished run. */
/** Starts a client-side run of `label` on the dataset (latest version unless given); no answer is posted. */
export function startRun(
  apiKey: string,
  datasetId: string,
  label: string,
  options: { repeats?: number; baseline?: string; datasetVersion?: number | "latest" } = {},
): Promise<any> {
  return expectJson(
    api(apiKey, "POST", "/api/eval-runs", {
      agent: AGENT,
      candidate: { label },
      dataset: datasetId,
      datasetVersion: options.datasetVersion ?? "latest",
      repeats: options.repeats ?? 1,
      ...(options.baseline ? { baseline: options.baseline } : {}),
    }),
    201,
  );
}

export async function clientRun(
  apiKey: string,
  datasetId: string,
  label: string,
  answer: (caseId: string, repeat: number) => unknown,
  options: { repeats?: number; baseline?: string } = {},
): Promise<any> {
  const repeats = options.repeats ?? 1;
  const run = await startRun(apiKey, datasetId, label, options);
  const answers = [...FAILURE_CASES, ...GUARD_CASES].flatMap((caseId) =>
    Array.from({ length: repeats }, (_, repeat) => ({ caseId, repeat, answer: answer(caseId, repeat) })),
  );
  await expectJson(api(apiKey, "POST", `/api/eval-runs/${run.id}/results`, { answers }), 200);
  return run;
}

/** The agent before any fix: right on guard cases, wrong on every failure case. */
export const currentAgent = (caseId: string) => (caseId.startsWith("g") ? expectedAnswer(caseId) : "I don't know");
