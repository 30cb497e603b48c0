/**
 * @module Text and JSON helpers shared by graders: dotted paths into a trace,
 * turning any JSON value into checkable text, normalisation, and JSON equality.
 */
import { canonicalJson as sharedCanonicalJson } from "../canonical-json";

/**
 * Splits a dotted path (`metadata.expected.answer`, `spans.0.output`) into
 * segments. Keys that themselves contain dots cannot be addressed; that is the
 * price of a path syntax people can type into a form.
 */
export function parsePath(path: string): string[] {
  return path.split(".");
}

/** The value at `segments` below `root`; numeric segments index arrays. */
export function valueAtPath(root: unknown, segments: readonly string[]): unknown {
  let current: unknown = root;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else {
      // Own properties only: a path must never reach `__proto__` or `constructor`.
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

/**
 * The text a text check sees: strings as they are, anything else as JSON
 * (so `{"answer": "42"}` can be searched for `42`), missing values as "".
 */
export function toText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // BigInt or a cycle: not JSON, but still text worth checking.
    return String(value);
  }
}

/** JSON with object keys sorted, so equal values always give equal text (`undefined` stays "undefined"). */
export function canonicalJson(value: unknown): string {
  return value === undefined ? "undefined" : sharedCanonicalJson(value);
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => jsonEquals(item, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && jsonEquals(left[key], right[key]));
}

/**
 * Case-, whitespace- and punctuation-insensitive form of a text: NFKC, lower
 * case, punctuation and symbols dropped, runs of whitespace collapsed. "The
 * answer is: 42!" and "the answer is 42" normalise to the same string.
 */
export function normalizeText(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, " ")
    .replace(/\s+/gu, " ")
    .trim();
}

/** A short quotable excerpt for reasons, so a 2 KB output does not flood the UI. */
export function excerpt(text: string, max = 60): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** `value` for a reason: JSON, shortened. */
export function describeValue(value: unknown, max = 60): string {
  return value === undefined ? "nothing" : excerpt(toText(value), max);
}

/** Parses a JSON text, or returns `undefined` with the parser's complaint. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
