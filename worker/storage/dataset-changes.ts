/**
 * @module Applies an API change (add, edit, remove, import) to a dataset: validate and
 * fingerprint the request, read the live cases it touches, plan it with the pure domain,
 * and write it as one atomic D1 batch that makes one new version. A refused change writes
 * nothing. The batch's SQL is relative to the state it finds, so a change planned from a
 * read that a racing change made stale still never loses a case (see version-statements.ts).
 */
import {
  type CaseChangeRequest,
  type PlanError,
  casesNeeded,
  isEmptyPlan,
  planCaseChanges,
  prepareChange,
} from "../dataset";
import { readLiveCases } from "./dataset-cases";
import { type VersionRow, applyDatasetChange, newCaseId } from "./dataset-store";
import type { Db } from "./db";

export type ChangeOutcome =
  | {
      ok: true;
      /** The new version, or undefined when the request changed nothing (no version is made). */
      version: VersionRow | undefined;
      /** Ids of the cases the request adds or writes, in request order. */
      caseIds: string[];
    }
  | { ok: false; errors: PlanError[] };

export async function changeDataset(
  db: Db,
  datasetId: string,
  request: CaseChangeRequest,
  summary?: string,
): Promise<ChangeOutcome> {
  const prepared = await prepareChange(request);
  const live = await readLiveCases(db, datasetId, casesNeeded(prepared));
  const planned = await planCaseChanges(prepared, live, newCaseId);
  if (!planned.ok) return planned;
  const { plan } = planned;
  const caseIds = [
    ...plan.added.map((c) => c.id),
    ...plan.edited.map((e) => e.after.id),
    ...plan.removed.map((c) => c.id),
  ];
  if (isEmptyPlan(plan)) return { ok: true, version: undefined, caseIds };
  try {
    const version = await applyDatasetChange(db, {
      datasetId,
      plan,
      now: new Date().toISOString(),
      summary: summary ?? null,
    });
    return { ok: true, version, caseIds };
  } catch (error) {
    // Live inputs are unique (a partial unique index). An edit planned before a racing
    // change gave another case the same input fails the whole batch here.
    if (isLiveInputConflict(error)) {
      return {
        ok: false,
        errors: [
          {
            code: "duplicate_input",
            message: "a concurrent change gave another live case the same input; read the latest version and retry",
          },
        ],
      };
    }
    throw error;
  }
}

function isLiveInputConflict(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /UNIQUE constraint failed: dataset_cases\.dataset_id, dataset_cases\.fingerprint/.test(message);
}
