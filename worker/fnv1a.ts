/**
 * @module FNV-1a, 32-bit: a fast, synchronous hash (no `crypto.subtle`) for where a
 * value must always land in the same place (a trace's shard, a trace in or out of a
 * sample, an attribute key in the reader's cache). Not for integrity: that is SHA-256
 * (storage/hash.ts). The results are int32; callers that need an unsigned value take
 * `>>> 0`.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Over `bytes[start..stop)`, starting from `seed`. */
export function fnv1aBytes(bytes: Uint8Array, start = 0, stop = bytes.length, seed = FNV_OFFSET): number {
  let hash = seed;
  for (let i = start; i < stop; i++) hash = Math.imul(hash ^ bytes[i]!, FNV_PRIME);
  return hash;
}

/** Over the UTF-8 bytes of `text` (a lone surrogate counts as U+FFFD, as TextEncoder has it). */
export function fnv1aUtf8(text: string): number {
  return fnv1aBytes(new TextEncoder().encode(text));
}

/** Over the UTF-16 code units of `text` (not its UTF-8 bytes): what names a trace's shard, so it must never change. */
export function fnv1aCodeUnits(text: string, seed = FNV_OFFSET): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash;
}
