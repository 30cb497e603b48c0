/**
 * @module The difference between two dataset versions, by case id: cases only in the
 * newer one (added), only in the older one (removed), and in both with different content
 * (changed). Whitespace-only edits of an input count as changes; tag order does not.
 */
import { type DatasetCase, sameCaseContent } from "./case-model";

export interface CaseChange {
  id: string;
  before: DatasetCase;
  after: DatasetCase;
}

export interface VersionDiff {
  added: DatasetCase[];
  removed: DatasetCase[];
  changed: CaseChange[];
}

/** Diff from `from` (the older version's cases) to `to`; each list is sorted by case id. */
export function diffVersions(from: readonly DatasetCase[], to: readonly DatasetCase[]): VersionDiff {
  const before = new Map(from.map((c) => [c.id, c]));
  const after = new Map(to.map((c) => [c.id, c]));
  const added = [...after.values()].filter((c) => !before.has(c.id));
  const removed = [...before.values()].filter((c) => !after.has(c.id));
  const changed: CaseChange[] = [];
  for (const [id, next] of after) {
    const previous = before.get(id);
    if (previous && !sameCaseContent(previous, next)) changed.push({ id, before: previous, after: next });
  }
  return { added: added.sort(byId), removed: removed.sort(byId), changed: changed.sort(byId) };
}

/** Which fields of a changed case differ, for a compact diff view. */
export function changedFields(change: CaseChange): Array<"input" | "expected" | "failure" | "tags" | "sourceTraceId"> {
  const fields = ["input", "expected", "failure", "tags", "sourceTraceId"] as const;
  return fields.filter((field) => {
    const blank = { input: null, expected: null, failure: null, tags: [], sourceTraceId: null };
    return !sameCaseContent({ ...blank, [field]: change.before[field] }, { ...blank, [field]: change.after[field] });
  });
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
