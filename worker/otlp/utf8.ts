/**
 * @module Whether bytes are well-formed UTF-8 (the Unicode Standard, table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), without decoding them. A
 * protobuf `string` must be UTF-8; the ingest scan checks every string field with this
 * so a body the decoder would refuse is refused at once, not acknowledged first.
 */

/** True when `bytes[start, end)` is well-formed UTF-8. */
export function isWellFormedUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    if (lead < 0xc2) return false; // a continuation byte, or an overlong two-byte form
    if (lead < 0xe0) {
      if (i + 1 >= end || !isContinuation(bytes[i + 1]!)) return false;
      i += 2;
      continue;
    }
    if (lead < 0xf0) {
      if (i + 2 >= end) return false;
      const second = bytes[i + 1]!;
      // E0 needs A0..BF (no overlong form), ED needs 80..9F (no surrogate).
      if (
        lead === 0xe0
          ? second < 0xa0 || second > 0xbf
          : lead === 0xed
            ? second < 0x80 || second > 0x9f
            : !isContinuation(second)
      )
        return false;
      if (!isContinuation(bytes[i + 2]!)) return false;
      i += 3;
      continue;
    }
    if (lead < 0xf5) {
      if (i + 3 >= end) return false;
      const second = bytes[i + 1]!;
      // F0 needs 90..BF (no overlong form), F4 needs 80..8F (nothing above U+10FFFF).
      if (
        lead === 0xf0
          ? second < 0x90 || second > 0xbf
          : lead === 0xf4
            ? second < 0x80 || second > 0x8f
            : !isContinuation(second)
      )
        return false;
      if (!isContinuation(bytes[i + 2]!) || !isContinuation(bytes[i + 3]!)) return false;
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}
