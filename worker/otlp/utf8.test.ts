/** The validator against the platform's own strict decoder, on chosen and random bytes. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isWellFormedUtf8 } from "./utf8";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const decodes = (bytes: Uint8Array) => {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
};
const valid = (bytes: number[]) => isWellFormedUtf8(Uint8Array.from(bytes), 0, bytes.length);

describe("isWellFormedUtf8", () => {
  it("accepts text in every sequence length and refuses each kind of malformed sequence", () => {
    expect(valid([...new TextEncoder().encode("order A1 ü € 𝄞 — 注文")])).toBe(true);
    expect(valid([])).toBe(true);
    expect(valid([0x80])).toBe(false); // a lone continuation byte
    expect(valid([0xc0, 0xaf])).toBe(false); // overlong "/"
    expect(valid([0xe0, 0x80, 0xaf])).toBe(false); // overlong, three bytes
    expect(valid([0xed, 0xa0, 0x80])).toBe(false); // a surrogate (U+D800)
    expect(valid([0xf4, 0x90, 0x80, 0x80])).toBe(false); // above U+10FFFF
    expect(valid([0xf5, 0x80, 0x80, 0x80])).toBe(false);
    expect(valid([0xe2, 0x82])).toBe(false); // cut short
    expect(valid([0x61, 0xff, 0x62])).toBe(false);
  });

  it("agrees with the platform's strict decoder on any bytes", () => {
    // Weighted towards the bytes that start and continue multi-byte sequences.
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0x80, max: 0xbf }),
      fc.constantFrom(0xc2, 0xe0, 0xed, 0xf0, 0xf4),
    );
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 12 }), (bytes) => {
        expect(valid(bytes)).toBe(decodes(Uint8Array.from(bytes)));
      }),
      { numRuns: 20_000 },
    );
  });

  it("checks only the range it is given", () => {
    const bytes = Uint8Array.from([0xff, 0x61, 0x62, 0xff]);
    expect(isWellFormedUtf8(bytes, 1, 3)).toBe(true);
    expect(isWellFormedUtf8(bytes, 0, 3)).toBe(false);
  });
});
