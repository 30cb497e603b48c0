/**
 * @module The in-memory dataset case and the rules every path shares: how tags are
 * normalised, how a case input becomes a case, and when two cases have the same content.
 */
import { type CaseFailure, type CaseInput, GUARD_TAG } from "./case-schema";
import { inputFingerprint } from "./fingerprint";

/** One case as it is in one dataset version. */
export interface DatasetCase {
  id: string;
  input: unknown;
  /** Expected behaviour or reference output; null when unknown. */
  expected: unknown;
  failure: CaseFailure | null;
  /** Trimmed, deduplicated and sorted, so tag order never counts as a change. */
  tags: string[];
  sourceTraceId: string | null;
  /** Whether `tags` holds the guard tag: a passing trace kept to catch regressions. */
  guard: boolean;
  fingerprint: string;
}

/** The fields of a case that are versioned; the id and derived fields are not content. */
export type CaseContent = Pick<DatasetCase, "input" | "expected" | "failure" | "tags" | "sourceTraceId">;

/** Tags as a set: trimmed, deduplicated, sorted; `guard: true` adds the guard tag. */
export function normaliseTags(tags: readonly string[] | undefined, guard?: boolean): string[] {
  const set = new Set((tags ?? []).map((tag) => tag.trim()).filter((tag) => tag !== ""));
  if (guard === true) set.add(GUARD_TAG);
  return [...set].sort();
}

/** A full case from its content; the fingerprint and guard flag are derived, never given. */
export async function buildCase(id: string, content: CaseContent): Promise<DatasetCase> {
  const tags = normaliseTags(content.tags);
  return {
    id,
    input: content.input,
    expected: content.expected ?? null,
    failure: content.failure ?? null,
    tags,
    sourceTraceId: content.sourceTraceId ?? null,
    guard: tags.includes(GUARD_TAG),
    fingerprint: await inputFingerprint(content.input),
  };
}

/** The content of a validated case input (API add or import line). */
export function contentOfInput(input: Omit<CaseInput, "id">): CaseContent {
  return {
    input: input.input,
    expected: input.expected ?? null,
    failure: input.failure ?? null,
    tags: normaliseTags(input.tags, input.guard),
    sourceTraceId: input.sourceTraceId ?? null,
  };
}

/**
 * Whether two cases hold the same versioned content. Exact, not normalised: an edit that
 * only changes whitespace in the input is still an edit (the fingerprint may not change).
 */
export function sameCaseContent(a: CaseContent, b: CaseContent): boolean {
  return contentKey(a) === contentKey(b);
}

function contentKey(content: CaseContent): string {
  return stableJson([
    content.input,
    content.expected ?? null,
    content.failure ?? null,
    normaliseTags(content.tags),
    content.sourceTraceId ?? null,
  ]);
}

/** JSON with object keys sorted, so key order does not count as a difference. */
export function stableJson(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${stableJson(record[key])}`);
  return `{${entries.join(",")}}`;
}
