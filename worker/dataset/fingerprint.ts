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
import { canonicalJson } from "../canonical-json";
import { sha256Hex } from "../storage/hash";

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

/** Canonical JSON text of a value after normalisation (see canonical-json.ts). */
export function canonicalInputJson(value: unknown, version: FingerprintVersion = FINGERPRINT_VERSION): string {
  return canonicalJson(value, version === 1 ? normaliseTextV1 : normaliseText);
}

type FingerprintVersion = typeof FINGERPRINT_VERSION | typeof LEGACY_FINGERPRINT_VERSION;

export { sha256Hex };

/** The dedup key of a case input: 64 lowercase hex characters. */
export function inputFingerprint(input: unknown, version: FingerprintVersion = FINGERPRINT_VERSION): Promise<string> {
  return sha256Hex(`flywheel-input-v${version}\n${canonicalInputJson(input, version)}`);
}

/** The version-1 fingerprint, to find cases collected before version 2. */
export function legacyInputFingerprint(input: unknown): Promise<string> {
  return inputFingerprint(input, LEGACY_FINGERPRINT_VERSION);
}
