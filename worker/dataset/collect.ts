/**
 * @module Collecting graded traces into an agent's regression dataset: failing traces
 * become cases, deduplicated by input fingerprint; a deterministic sample of passing
 * traces becomes guard cases. Repeated inputs only bump occurrence statistics, which are
 * not versioned, so the same failure seen 50 times makes one case and at most one version.
 */
import { type DatasetCase, buildCase } from "./case-model";
import { type CaseFailure, GUARD_TAG, type GraderFailure } from "./case-schema";
import { inputFingerprint, legacyInputFingerprint, sha256Hex } from "./fingerprint";
import type { CasePlan } from "./plan-changes";

/** The display name of the dataset auto-created for an agent's failures. */
export const regressionDatasetName = (agent: string): string => `${agent} regressions`;

/** One graded trace offered to the dataset. */
export interface Observation {
  traceId: string;
  input: unknown;
  /** The trace's output; becomes the reference output of a new guard case. */
  output?: unknown;
  /** ISO 8601 time the trace was seen (its end, or when it was graded). */
  seenAt: string;
  /** The failing grader verdict, or null for a passing trace sampled as a guard. */
  failure: CaseFailure | null;
}

export interface FingerprintedObservation extends Observation {
  fingerprint: string;
  /** The version-1 fingerprint, matching cases collected before version 2. */
  legacyFingerprint: string;
}

/** The latest failing occurrence of an input, kept with its statistics (not versioned). */
export interface LastFailure {
  traceId: string;
  output: unknown;
  failures: GraderFailure[];
}

/** Occurrence counts to add to `dataset_case_stats`, one per input fingerprint. */
export interface CaseStatUpdate {
  fingerprint: string;
  occurrences: number;
  firstSeenAt: string;
  lastTraceId: string;
  lastSeenAt: string;
  /** Set when a failing observation was counted. */
  lastFailure?: LastFailure;
}

export interface CollectionPlan {
  plan: CasePlan;
  stats: CaseStatUpdate[];
}

export async function fingerprintObservations(observations: Observation[]): Promise<FingerprintedObservation[]> {
  return Promise.all(
    observations.map(async (o) => ({
      ...o,
      fingerprint: await inputFingerprint(o.input),
      legacyFingerprint: await legacyInputFingerprint(o.input),
    })),
  );
}

/**
 * Whether a passing trace is kept as a guard case. Decided by a hash of the trace id, not
 * by chance, so a window graded again after a crash samples the same traces.
 */
export async function isGuardSample(traceId: string, rate: number): Promise<boolean> {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  const hex = await sha256Hex(`flywheel-guard-sample\n${traceId}`);
  return Number.parseInt(hex.slice(0, 8), 16) / 0x1_0000_0000 < rate;
}

/**
 * Plans what a batch of observations does to a dataset, given its live cases with the
 * observations' fingerprints. Per input fingerprint:
 * - failing, no live case: a new case from the earliest failing trace;
 * - failing, live guard case: the guard case becomes a failure case (it used to pass);
 * - failing, live failure case: statistics only;
 * - only passing, no live case: a new guard case, its output kept as reference output;
 * - only passing, live case: statistics only for a guard case, nothing for a failure case.
 * Statistics count the failing observations, or the passing ones of a guard case.
 * A live case matches by the current fingerprint or, for cases collected before it, by
 * the version-1 fingerprint of any observation in the group.
 */
export async function planCollection(
  observations: readonly FingerprintedObservation[],
  live: readonly DatasetCase[],
  newCaseId: () => string,
): Promise<CollectionPlan> {
  const liveByFingerprint = new Map(live.map((c) => [c.fingerprint, c]));
  const plan: CasePlan = { changeKind: "collected", added: [], edited: [], removed: [] };
  const stats: CaseStatUpdate[] = [];

  for (const group of groupByFingerprint(observations)) {
    const failing = group.filter((o) => o.failure !== null);
    const existing =
      liveByFingerprint.get(group[0]!.fingerprint) ??
      group.map((o) => liveByFingerprint.get(o.legacyFingerprint)).find((c) => c !== undefined);
    // Statistics stay under the key the case had when they were first counted.
    const statKey = existing && !existing.guard ? existing.fingerprint : group[0]!.fingerprint;
    const keyOf = (c: FingerprintedObservation[]) => ({ ...statUpdate(c), fingerprint: statKey });
    if (failing.length > 0) {
      const first = failing[0]!;
      if (!existing) {
        plan.added.push(
          await buildCase(newCaseId(), {
            input: first.input,
            expected: null,
            failure: first.failure,
            tags: [],
            sourceTraceId: first.traceId,
          }),
        );
      } else if (existing.guard) {
        const after = await buildCase(existing.id, {
          input: existing.input,
          expected: existing.expected,
          failure: first.failure,
          tags: existing.tags.filter((tag) => tag !== GUARD_TAG),
          sourceTraceId: first.traceId,
        });
        plan.edited.push({ before: existing, after });
      }
      stats.push(keyOf(failing));
      continue;
    }
    if (!existing) {
      const first = group[0]!;
      plan.added.push(
        await buildCase(newCaseId(), {
          input: first.input,
          expected: first.output ?? null,
          failure: null,
          tags: [GUARD_TAG],
          sourceTraceId: first.traceId,
        }),
      );
      stats.push(statUpdate(group));
    } else if (existing.guard) {
      stats.push({ ...statUpdate(group), fingerprint: existing.fingerprint });
    }
  }
  return { plan, stats };
}

/** Groups in order of first appearance, each sorted oldest first. */
function groupByFingerprint(observations: readonly FingerprintedObservation[]): FingerprintedObservation[][] {
  const groups = new Map<string, FingerprintedObservation[]>();
  for (const o of observations) {
    const group = groups.get(o.fingerprint);
    if (group) group.push(o);
    else groups.set(o.fingerprint, [o]);
  }
  return [...groups.values()].map((group) => group.sort(byTime));
}

function statUpdate(counted: FingerprintedObservation[]): CaseStatUpdate {
  const latest = counted[counted.length - 1]!;
  const update: CaseStatUpdate = {
    fingerprint: latest.fingerprint,
    occurrences: counted.length,
    firstSeenAt: counted[0]!.seenAt,
    lastTraceId: latest.traceId,
    lastSeenAt: latest.seenAt,
  };
  if (latest.failure !== null) update.lastFailure = lastFailureOf(latest, latest.failure);
  return update;
}

function lastFailureOf(o: Observation, failure: CaseFailure): LastFailure {
  const { failures, ...first } = failure;
  return { traceId: o.traceId, output: o.output ?? null, failures: failures ?? [first] };
}

const byTime = (a: Observation, b: Observation) =>
  a.seenAt < b.seenAt ? -1 : a.seenAt > b.seenAt ? 1 : a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0;
