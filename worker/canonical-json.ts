/**
 * @module Canonical JSON: object keys sorted, so equal values always give equal text
 * (a dataset case's input fingerprint, a grader comparing structured output). Written
 * out by hand rather than by building a sorted copy, so keys such as `__proto__` stay
 * plain data, and a cycle is an error rather than a stack overflow.
 */

/**
 * The canonical JSON text of `value`, each string passed through `text` first (the
 * fingerprint normalises them). Undefined properties are left out and undefined array
 * items are null, as with JSON.stringify; a bigint is written as its digits.
 */
export function canonicalJson(value: unknown, text: (s: string) => string = (s) => s): string {
  return canonical(value, text, new Set());
}

function canonical(value: unknown, text: (s: string) => string, ancestors: Set<object>): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(text(value));
    case "number":
      // JSON.stringify maps NaN and ±Infinity to null and -0 to 0, as JSON itself would.
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      // Functions and symbols are not JSON; they serialise as null, like JSON.stringify in arrays.
      return "null";
  }
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === "function") return canonical(withJson.toJSON(), text, ancestors);
  if (ancestors.has(value)) throw new TypeError("input contains a circular reference");
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item) => canonical(item, text, ancestors)).join(",")}]`;
    }
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key], text, ancestors)}`);
    return `{${entries.join(",")}}`;
  } finally {
    ancestors.delete(value);
  }
}
