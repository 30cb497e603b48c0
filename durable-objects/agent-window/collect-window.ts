/**
 * @module The grading hand-off: a graded window's traces go into the agent's regression
 * dataset. Failing traces become cases (deduplicated by input fingerprint, with occurrence
 * counts and the latest trace id), a deterministic sample of passing traces becomes guard
 * cases. Idempotent by window id: grading is at-least-once, so the same window may be
 * delivered again, and its change must count once.
 */
import { loadConfig } from "../../worker/config";
import {
  type CaseFailure,
  type DatasetCase,
  type Observation,
  buildCase,
  type CollectedTrace,
  type WindowCollection,
  fingerprintObservations,
  isAlreadyAppliedError,
  isGuardSample,
  planCollection,
  regressionDatasetName,
} from "../../worker/dataset";
import { readLiveCases } from "../../worker/storage/dataset-cases";
import {
  type VersionRow,
  applyDatasetChange,
  ensureRegressionDataset,
  newCaseId,
} from "../../worker/storage/dataset-store";
import { createDb } from "../../worker/storage/db";

export interface CollectionResult {
  datasetId: string | null;
  /** The version the window made; undefined when it only updated statistics or changed nothing. */
  version: VersionRow | undefined;
  /** True when this window was collected before (a re-delivery) and nothing was written now. */
  alreadyApplied: boolean;
}

/** Used when a trace's final verdict is fail but no grader said why. */
const UNEXPLAINED_FAILURE: CaseFailure = {
  graderId: "final-verdict",
  graderVersion: 1,
  reason: "final verdict was fail",
};

export async function collectWindowIntoDataset(env: Env, collection: WindowCollection): Promise<CollectionResult> {
  const config = loadConfig(env);
  const observations = await observationsOf(collection, config.DATASET_GUARD_RATE);
  if (observations.length === 0) return { datasetId: null, version: undefined, alreadyApplied: false };

  const db = createDb(env.DB);
  const dataset = await ensureRegressionDataset(
    db,
    collection.projectId,
    collection.agent,
    regressionDatasetName(collection.agent),
  );
  const fingerprinted = await fingerprintObservations(observations);
  const live = await readLiveCases(db, dataset.id, {
    caseIds: [],
    fingerprints: [...new Set(fingerprinted.map((o) => o.fingerprint))],
    allLiveCases: false,
  });
  const { plan, stats } = await planCollection(fingerprinted, live, newCaseId);
  const references = new Map(collection.traces.map((t) => [t.traceId, t.reference]));
  plan.added = await Promise.all(plan.added.map((c) => withReference(c, references.get(c.sourceTraceId ?? ""))));
  try {
    const version = await applyDatasetChange(db, {
      datasetId: dataset.id,
      plan,
      stats,
      now: new Date().toISOString(),
      summary: `collected from grade window ${collection.windowId}`,
      changeKey: `window:${collection.windowId}`,
    });
    return { datasetId: dataset.id, version, alreadyApplied: false };
  } catch (error) {
    if (isAlreadyAppliedError(error)) return { datasetId: dataset.id, version: undefined, alreadyApplied: true };
    throw error;
  }
}

/** Failing traces, and the passing ones the guard sample keeps (their reference, else output, as expectation). */
async function observationsOf(collection: WindowCollection, guardRate: number): Promise<Observation[]> {
  const observations: Observation[] = [];
  for (const trace of collection.traces) {
    const { traceId, input, seenAt } = trace;
    if (trace.verdict === "fail") {
      observations.push({ traceId, input, output: trace.output, seenAt, failure: failureOf(trace) });
    } else if (trace.verdict === "pass" && (await isGuardSample(traceId, guardRate))) {
      observations.push({ traceId, input, output: trace.reference ?? trace.output, seenAt, failure: null });
    }
  }
  return observations;
}

/** The first failing grader, with every failing grader of the trace beside it. */
function failureOf(trace: CollectedTrace): CaseFailure {
  const failures = trace.failures.map(({ graderId, graderVersion, name, reason }) => ({
    graderId,
    graderVersion,
    ...(name === undefined ? {} : { name }),
    reason,
  }));
  const first = failures[0];
  return first ? { ...first, failures } : UNEXPLAINED_FAILURE;
}

/** A new failure case keeps its source trace's reference output as the expectation, when known. */
async function withReference(added: DatasetCase, reference: unknown): Promise<DatasetCase> {
  if (added.failure === null || added.expected !== null || reference === undefined || reference === null) return added;
  return buildCase(added.id, { ...added, expected: reference });
}
