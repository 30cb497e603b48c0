/**
 * @module The input fingerprint: a SHA-256 over a normalised, canonical JSON form of a
 * case's input, used to deduplicate regression cases (the same failing input seen 50
 * times is one case with an occurrence count, not 50 cases).
 *
 * Normalisation (version 1) merges inputs that differ only trivially:
 * - object keys are sorted (key order never carries meaning in JSON);
 * - object entries whose value is `undefined` are dropped (JSON has no undefined);
 * - strings are Unicode NFC-normalised, CRLF / CR line endings become LF, the whole
 *   string is trimmed, trailing spaces on every line are removed, and runs of spaces
 *   and tabs *inside* a line collapse to one space.
 * It deliberately keeps apart inputs that can mean different things:
 * - letter case ("US" vs "us", identifiers, code);
 * - leading indentation of a line (Python, YAML, Markdown lists) and line breaks;
 * - array order (the order of chat messages matters);
 * - types (`"42"` vs `42`, `null` vs a missing key vs `""`);
 * - object key case, and keys whose value is `null`.
 * Changing these rules changes every fingerprint, so they are versioned: the version
 * is part of the hashed text and a new rule set needs a backfill of stored fingerprints.
 */

export const FINGERPRINT_VERSION = 1;

/** Horizontal whitespace: spaces, tabs and the Unicode space separators (not line breaks). */
const HORIZONTAL_SPACE_RUN = /[\t\f\v \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g;
const LEADING_HORIZONTAL_SPACE = /^[\t\f\v \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]*/;

/** A string as it counts for deduplication; see the module comment for the rules. */
export function normaliseText(text: string): string {
  return text
    .normalize("NFC")
    .replace(/\r\n?/g, "\n")
    .trim()
    .split("\n")
    .map((line) => {
      const indent = LEADING_HORIZONTAL_SPACE.exec(line)?.[0] ?? "";
      const rest = line.slice(indent.length).replace(HORIZONTAL_SPACE_RUN, " ").trimEnd();
      return rest === "" ? "" : indent + rest;
    })
    .join("\n");
}

/**
 * Canonical JSON text of a value after normalisation. Written out by hand rather than by
 * building a normalised copy, so keys such as `__proto__` stay plain data.
 */
export function canonicalInputJson(value: unknown): string {
  return canonical(value, new Set());
}

function canonical(value: unknown, ancestors: Set<object>): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(normaliseText(value));
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
  if (typeof withJson.toJSON === "function") return canonical(withJson.toJSON(), ancestors);
  if (ancestors.has(value)) throw new TypeError("input contains a circular reference");
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item) => canonical(item, ancestors)).join(",")}]`;
    }
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key], ancestors)}`);
    return `{${entries.join(",")}}`;
  } finally {
    ancestors.delete(value);
  }
}

/** SHA-256 hex of a UTF-8 string, via Web Crypto (available in Workers and Node 20). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The dedup key of a case input: 64 lowercase hex characters. */
export function inputFingerprint(input: unknown): Promise<string> {
  return sha256Hex(`flywheel-input-v${FINGERPRINT_VERSION}\n${canonicalInputJson(input)}`);
}
