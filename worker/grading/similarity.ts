/**
 * @module String similarity scores in [0, 1] for the `similarity` metric:
 * normalised Levenshtein (character edits; good for short answers and ids)
 * and token F1 (word overlap, order-free; the SQuAD measure, good for prose).
 */
import { normalizeText } from "./text";

export const SIMILARITY_ALGORITHMS = ["levenshtein", "token_f1"] as const;
export type SimilarityAlgorithm = (typeof SIMILARITY_ALGORITHMS)[number];

/**
 * Levenshtein is O(n·m); beyond this many characters per side only the
 * prefixes are compared, which keeps one trace under a few milliseconds of CPU.
 */
export const MAX_LEVENSHTEIN_CHARS = 4000;

/** Edit distance between `a` and `b` (insertions, deletions, substitutions). */
export function levenshteinDistance(a: string, b: string): number {
  // A shared prefix or suffix never costs an edit; trimming it makes near-equal
  // long answers (the common case when grading) cheap.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const left = a.slice(start, endA);
  const right = b.slice(start, endB);
  if (left.length === 0) return right.length;
  if (right.length === 0) return left.length;
  let previous = new Int32Array(right.length + 1);
  let current = new Int32Array(right.length + 1);
  for (let j = 0; j <= right.length; j++) previous[j] = j;
  for (let i = 1; i <= left.length; i++) {
    current[0] = i;
    const char = left.charCodeAt(i - 1);
    for (let j = 1; j <= right.length; j++) {
      const substitution = previous[j - 1]! + (char === right.charCodeAt(j - 1) ? 0 : 1);
      const deletion = previous[j]! + 1;
      const insertion = current[j - 1]! + 1;
      current[j] = Math.min(substitution, deletion, insertion);
    }
    [previous, current] = [current, previous];
  }
  return previous[right.length]!;
}

/** 1 − distance / longer length; two empty strings are identical (1). */
export function levenshteinSimilarity(a: string, b: string): number {
  const left = a.slice(0, MAX_LEVENSHTEIN_CHARS);
  const right = b.slice(0, MAX_LEVENSHTEIN_CHARS);
  const longer = Math.max(left.length, right.length);
  return longer === 0 ? 1 : 1 - levenshteinDistance(left, right) / longer;
}

/** Normalised words of a text (see {@link normalizeText}). */
export function tokens(text: string): string[] {
  const normal = normalizeText(text);
  return normal === "" ? [] : normal.split(" ");
}

/** Harmonic mean of token precision and recall over multisets of words. */
export function tokenF1(candidate: string, reference: string): number {
  const predicted = tokens(candidate);
  const expected = tokens(reference);
  if (predicted.length === 0 && expected.length === 0) return 1;
  if (predicted.length === 0 || expected.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const token of expected) counts.set(token, (counts.get(token) ?? 0) + 1);
  let overlap = 0;
  for (const token of predicted) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      overlap++;
      counts.set(token, left - 1);
    }
  }
  if (overlap === 0) return 0;
  const precision = overlap / predicted.length;
  const recall = overlap / expected.length;
  return (2 * precision * recall) / (precision + recall);
}

export function similarity(
  algorithm: SimilarityAlgorithm,
  candidate: string,
  reference: string,
  normalize = true,
): number {
  if (algorithm === "token_f1") return tokenF1(candidate, reference);
  return normalize
    ? levenshteinSimilarity(normalizeText(candidate), normalizeText(reference))
    : levenshteinSimilarity(candidate, reference);
}
