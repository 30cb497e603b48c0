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
    // The sequence's length, and the range its second byte must fall in (table 3-7): E0 and
    // F0 exclude overlong forms, ED surrogates, F4 anything above U+10FFFF.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead < 0xc2) return false; // a continuation byte, or an overlong two-byte form
    if (lead < 0xe0) length = 2;
    else if (lead < 0xf0) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      else if (lead === 0xed) high = 0x9f;
    } else if (lead < 0xf5) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      else if (lead === 0xf4) high = 0x8f;
    } else return false;
    if (i + length > end) return false;
    const second = bytes[i + 1]!;
    if (second < low || second > high) return false;
    for (let k = 2; k < length; k++) if (!isContinuation(bytes[i + k]!)) return false;
    i += length;
  }
  return true;
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}
