/**
 * @module The rule for names people choose (agents, versions, tags, graders, datasets):
 * Unicode text without control characters or unpaired surrogate halves, bounded in
 * characters and in UTF-8 bytes. Names end up in storage keys and URLs, percent-encoded
 * (up to 3 characters per byte), so a name of 92 emoji (368 bytes) would make an R2 key
 * longer than R2's 1024-byte limit; the byte bound keeps every key within it.
 */
import { z } from "@hono/zod-openapi";

const CONTROL = /[\u0000-\u001f\u007f]/;
/** With the `u` flag, a surrogate code unit matches only when it is not half of a pair. */
const UNPAIRED_SURROGATE = /[\ud800-\udfff]/u;

const utf8Length = (text: string) => new TextEncoder().encode(text).byteLength;

/** A name of `minChars`..`maxChars` characters and at most `maxBytes` UTF-8 bytes. */
export function nameSchema(maxChars = 200, maxBytes = 200, minChars = 1) {
  return z
    .string()
    .min(minChars, "must not be empty")
    .max(maxChars, `must be at most ${maxChars} characters`)
    .superRefine((value, ctx) => {
      // One message per rule, naming the rule, so the client knows what to change.
      if (CONTROL.test(value)) ctx.addIssue({ code: "custom", message: "must not contain control characters" });
      else if (UNPAIRED_SURROGATE.test(value))
        ctx.addIssue({
          code: "custom",
          message: "must be valid Unicode text (it holds an unpaired surrogate, \\ud800-\\udfff)",
        });
      else if (utf8Length(value) > maxBytes)
        ctx.addIssue({
          code: "custom",
          message: `must be at most ${maxBytes} bytes in UTF-8 (it is ${utf8Length(value)}; letters outside ASCII take 2-4 bytes each)`,
        });
    });
}

/** Whether text is well-formed Unicode (no unpaired surrogate), for keys and values that are not names. */
export function isWellFormedText(text: string): boolean {
  return !UNPAIRED_SURROGATE.test(text);
}
