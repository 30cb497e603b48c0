/**
 * @module What `POST /api/eval-runs` does once the body is valid: resolve the dataset
 * version, the baseline and the grader versions (pinned here, for the whole run), read
 * the version's cases, record the run in D1 (idempotent on the client's key) and start
 * its EvalRun object. A retried request finds the run by its key and only makes sure
 * its object has started. A new run's cases are handed back: the caller may answer with
 * the first of them.
 */
import type { EvalRunCase, EvalRunReport, EvalRunSpec } from "../../durable-objects/eval-run/contract";
import { newRunReport } from "../../durable-objects/eval-run/new-run-report";
import { loadConfig } from "../config";
import { ApiError } from "../errors";
import type { AnswerVerdictRules } from "../eval/grade-case";
import { type BaselineOutcome, asBaseline, datasetBaseline } from "../eval/metrics";
import type { DatasetCase } from "../dataset";
import { readCasePage } from "../storage/dataset-cases";
import type { Db } from "../storage/db";
import { evalRunObject } from "../storage/eval-run-client";
import {
  type EvalRunRow,
  acceptedBaseline,
  findEvalRun,
  findEvalRunByKey,
  insertEvalRun,
  newEvalRunId,
} from "../storage/eval-run-store";
import {
  type GraderRef,
  enabledGraderRefs,
  findGrader,
  listGraderVersions,
  loadGraderVersions,
} from "../storage/grader-store";
import { markSuggestionsTried } from "../storage/suggestion-store";
import type { GraderVersion } from "../grading";
import { isJudge } from "../judge/run-judges";
import { judgeCalibrations, reviewSettingsOf } from "../review/window-verdicts";
import { resolveDataset, resolveVersion } from "./dataset-shared";

export interface LaunchRequest {
  agent: string;
  candidate: {
    label: string;
    version?: string | null;
    endpoint?: string | null;
    suggestionIds?: string[];
  };
  dataset: string;
  datasetVersion: string;
  graders?: (string | { id: string; version: number })[];
  repeats: number;
  concurrency: number;
  timeoutMs: number;
  maxAttempts: number;
  baseline?: string;
  idempotencyKey?: string;
}

/** The dataset itself is the baseline: guard cases passed, failure cases failed. */
export const DATASET_BASELINE = "dataset";
/** A run pins every case of its version: read in pages of this many, each one D1 query. */
const CASE_PAGE = 2000;

export async function launchEvalRun(
  env: Env,
  db: Db,
  projectId: string,
  request: LaunchRequest,
): Promise<{ row: EvalRunRow; created: boolean; report: EvalRunReport; cases: DatasetCase[] | null }> {
  if (request.idempotencyKey) {
    const existing = await findEvalRunByKey(db, projectId, request.idempotencyKey);
    const report = existing && (await evalRunObject(env, existing.id).report({ results: false }));
    if (existing && report) return { row: existing, created: false, report, cases: null };
  }
  const dataset = await resolveDataset(db, projectId, request.dataset);
  const version = await resolveVersion(db, dataset, request.datasetVersion);
  // The cases are read while the baseline and graders are resolved: neither waits on the other.
  const [datasetCases, { baseline, refs, graders, baselineOutcomes, verdictRules }] = await Promise.all([
    readAllCases(db, dataset.id, version.version),
    (async () => {
      const baseline = await resolveBaseline(db, projectId, request, dataset.id, version.version);
      const refs = await resolveGraders(db, projectId, request, baseline);
      const graders = await loadGraderVersions(db, projectId, refs);
      const baselineOutcomes = baseline ? await outcomesOf(env, baseline) : null;
      const verdictRules = await pinVerdictRules(env, db, projectId, request.agent, graders);
      return { baseline, refs, graders, baselineOutcomes, verdictRules };
    })(),
  ]);

  const { row, created } = await insertEvalRun(db, {
    id: newEvalRunId(),
    projectId,
    agent: request.agent,
    datasetId: dataset.id,
    datasetVersion: version.version,
    candidate: {
      label: request.candidate.label,
      version: request.candidate.version ?? null,
      endpoint: request.candidate.endpoint ?? null,
      suggestionIds: request.candidate.suggestionIds ?? [],
    },
    mode: request.candidate.endpoint ? "server" : "client",
    graders: refs,
    repeats: request.repeats,
    baselineRunId: baseline?.id ?? null,
    idempotencyKey: request.idempotencyKey ?? null,
    status: "running",
    caseCount: datasetCases.length,
    createdAt: new Date().toISOString(),
  });
  const cases: EvalRunCase[] = datasetCases.map((c) => ({
    caseId: c.id,
    input: c.input,
    expected: c.expected,
    guard: c.guard,
    baseline: baselineOutcomes ? (baselineOutcomes.get(c.id) ?? "unknown") : datasetBaseline(c.guard),
  }));
  // The row's values, not the request's: a racing retry may have inserted the run first.
  const spec: EvalRunSpec = {
    runId: row.id,
    projectId,
    agent: row.agent,
    candidateVersion: row.candidate.version,
    endpoint: row.candidate.endpoint,
    repeats: row.repeats,
    concurrency: request.concurrency,
    timeoutMs: request.timeoutMs,
    maxAttempts: request.maxAttempts,
    graders,
    verdictRules,
    cases,
  };
  const run = evalRunObject(env, row.id);
  const { started } = await run.start(spec);
  // A racing retry may have started the run first: then the object reports it as it is.
  const report = started ? newRunReport(spec) : (await run.report({ results: false }))!;
  if (created && row.candidate.suggestionIds.length > 0) {
    await markSuggestionsTried(db, projectId, row.candidate.suggestionIds, row.id);
  }
  // A racing retry's run may be of another version ("latest" moved): its cases are not these.
  return { row, created, report, cases: created ? datasetCases : null };
}

async function resolveBaseline(
  db: Db,
  projectId: string,
  request: LaunchRequest,
  datasetId: string,
  version: number,
): Promise<EvalRunRow | undefined> {
  if (request.baseline === DATASET_BASELINE) return undefined;
  if (request.baseline === undefined) return acceptedBaseline(db, projectId, request.agent, datasetId, version);
  const run = await findEvalRun(db, projectId, request.baseline);
  if (!run) {
    throw new ApiError(
      404,
      "baseline_not_found",
      `Baseline run '${request.baseline}' was not found in this project; name a run id, or '${DATASET_BASELINE}'.`,
    );
  }
  if (run.datasetId !== datasetId || run.datasetVersion !== version) {
    throw new ApiError(
      409,
      "baseline_mismatch",
      `Baseline run '${run.id}' ran dataset ${run.datasetId} version ${run.datasetVersion}; a baseline must have run the same dataset version.`,
    );
  }
  if (run.status !== "completed") {
    throw new ApiError(
      409,
      "baseline_not_finished",
      `Baseline run '${run.id}' is ${run.status}; name a completed run.`,
    );
  }
  return run;
}

/**
 * Named graders (their current version, or the one given), else the baseline's pinned
 * versions, else the agent's enabled graders. A baseline graded by other versions is
 * refused: scores of different grader versions are never compared silently.
 */
async function resolveGraders(
  db: Db,
  projectId: string,
  request: LaunchRequest,
  baseline: EvalRunRow | undefined,
): Promise<GraderRef[]> {
  let refs: GraderRef[];
  if (request.graders && request.graders.length > 0) {
    refs = [];
    for (const named of request.graders) {
      const id = typeof named === "string" ? named : named.id;
      const grader = await findGrader(db, projectId, id);
      if (!grader) throw new ApiError(404, "grader_not_found", `Grader '${id}' was not found in this project.`);
      if (typeof named === "string") {
        refs.push({ graderId: id, version: grader.version });
        continue;
      }
      const versions = await listGraderVersions(db, projectId, id);
      if (!versions.some((v) => v.version === named.version)) {
        throw new ApiError(
          404,
          "grader_version_not_found",
          `Grader '${id}' has no version ${named.version}; its versions are 1 to ${grader.version}.`,
        );
      }
      refs.push({ graderId: id, version: named.version });
    }
  } else if (baseline) {
    return baseline.graders;
  } else {
    refs = await enabledGraderRefs(db, projectId, request.agent);
  }
  if (refs.length === 0) {
    throw new ApiError(
      409,
      "no_graders",
      `Agent '${request.agent}' has no enabled grader to grade the run; create one (POST /api/graders) or name graders.`,
    );
  }
  if (baseline && !sameRefs(refs, baseline.graders)) {
    throw new ApiError(
      409,
      "grader_versions_differ",
      `Baseline run '${baseline.id}' was graded by other grader versions; omit graders to use the baseline's, or pass baseline: '${DATASET_BASELINE}'.`,
    );
  }
  return refs;
}

const refKey = (refs: readonly GraderRef[]) =>
  refs
    .map((r) => `${r.graderId}@${r.version}`)
    .sort()
    .join(",");
const sameRefs = (a: readonly GraderRef[], b: readonly GraderRef[]) => refKey(a) === refKey(b);

export async function readAllCases(db: Db, datasetId: string, version: number): Promise<DatasetCase[]> {
  const cases: DatasetCase[] = [];
  for (let afterCaseId: string | undefined; ; ) {
    const page = await readCasePage(db, datasetId, version, { afterCaseId, limit: CASE_PAGE });
    cases.push(...page);
    if (page.length < CASE_PAGE) return cases;
    afterCaseId = page[page.length - 1]!.id;
  }
}

async function outcomesOf(env: Env, baseline: EvalRunRow): Promise<Map<string, BaselineOutcome>> {
  const report = await evalRunObject(env, baseline.id).report({ results: false });
  return new Map((report?.cases ?? []).map((c) => [c.caseId, asBaseline(c.outcome)]));
}

/** The agent's policy and its uncalibrated judges now: answers are decided as its windows decide traces. */
async function pinVerdictRules(
  env: Env,
  db: Db,
  projectId: string,
  agent: string,
  graders: readonly GraderVersion[],
): Promise<AnswerVerdictRules> {
  const settings = await reviewSettingsOf(db, loadConfig(env), projectId, agent);
  const judgeKeys = graders.filter(isJudge).map((g) => `${g.graderId}@${g.version}`);
  const calibration = await judgeCalibrations(db, projectId, agent, settings, judgeKeys);
  const uncalibratedJudges = [...calibration].filter(([, c]) => c.state === "uncalibrated").map(([key]) => key);
  return { policy: settings.policy, uncalibratedJudges };
}
