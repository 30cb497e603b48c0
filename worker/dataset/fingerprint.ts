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
import { canonicalJson } from "../canonical-json";
import { sha256Hex } from "../storage/hash";

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

/** Canonical JSON text of a value after normalisation (see canonical-json.ts). */
export function canonicalInputJson(value: unknown): string {
  return canonicalJson(value, normaliseText);
}

export { sha256Hex };

/** The dedup key of a case input: 64 lowercase hex characters. */
export function inputFingerprint(input: unknown): Promise<string> {
  return sha256Hex(`flywheel-input-v${FINGERPRINT_VERSION}\n${canonicalInputJson(input)}`);
}
