/**
 * @module The input fingerprint: a SHA-256 over a normalised, canonical JSON form of a
 * case's input, used to deduplicate regression cases (the same failing input seen 50
 * times is one case with an occurrence count, not 50 cases).
 *
 * Normalisation (version 2, the current one) merges inputs that ask the same question:
 * - object keys are sorted (key order never carries meaning in JSON), and entries whose
 *   value is `undefined` are dropped (JSON has no undefined);
 * - strings are Unicode NFC-normalised and lower-cased, and every run of whitespace
 *   (spaces, tabs, line breaks, Unicode spaces) becomes one space, the ends trimmed:
 *   "Where is my order?", "  where is MY order?\n" and "Where is\nmy order?" are one case.
 * It keeps apart everything else:
 * - punctuation and every other character ("order?" vs "order", "a b" vs "ab");
 * - array order (the order of chat messages matters);
 * - types (`"42"` vs `42`, `null` vs a missing key vs `""`);
 * - object keys, verbatim (they are identifiers: `{"A": 1}` vs `{"a": 1}`).
 *
 * Version 1 kept letter case, line breaks and leading indentation apart. Cases collected
 * under it keep their fingerprints: collection matches a new input against both
 * versions, so an existing dataset keeps its cases and occurrence counts, and new cases
 * are fingerprinted with version 2. The version is part of the hashed text, so the two
 * never collide.
 */

export const FINGERPRINT_VERSION = 2;
/** The rule set of cases collected before version 2; still matched so they keep merging. */
export const LEGACY_FINGERPRINT_VERSION = 1;

/** Horizontal whitespace: spaces, tabs and the Unicode space separators (not line breaks). */
const HORIZONTAL_SPACE_RUN = /[\t\f\v \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g;
const LEADING_HORIZONTAL_SPACE = /^[\t\f\v \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]*/;

/** A string as it counts for deduplication (version 2); see the module comment for the rules. */
export function normaliseText(text: string): string {
  return text.normalize("NFC").toLowerCase().replace(/\s+/gu, " ").trim();
}

/** Version 1: trims, collapses spaces inside a line, keeps case, line breaks and indentation. */
export function normaliseTextV1(text: string): string {
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
export function canonicalInputJson(value: unknown, version: FingerprintVersion = FINGERPRINT_VERSION): string {
  return canonical(value, new Set(), version === 1 ? normaliseTextV1 : normaliseText);
}

type FingerprintVersion = typeof FINGERPRINT_VERSION | typeof LEGACY_FINGERPRINT_VERSION;

function canonical(value: unknown, ancestors: Set<object>, text: (s: string) => string): string {
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
  if (typeof withJson.toJSON === "function") return canonical(withJson.toJSON(), ancestors, text);
  if (ancestors.has(value)) throw new TypeError("input contains a circular reference");
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item) => canonical(item, ancestors, text)).join(",")}]`;
    }
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key], ancestors, text)}`);
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
export function inputFingerprint(input: unknown, version: FingerprintVersion = FINGERPRINT_VERSION): Promise<string> {
  return sha256Hex(`flywheel-input-v${version}\n${canonicalInputJson(input, version)}`);
}

/** The version-1 fingerprint, to find cases collected before version 2. */
export function legacyInputFingerprint(input: unknown): Promise<string> {
  return inputFingerprint(input, LEGACY_FINGERPRINT_VERSION);
}
