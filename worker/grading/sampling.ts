/**
 * @module Deterministic sampling: the same trace id is always in or always out
 * at a given rate, so a retried ingest or a re-run alarm never changes which
 * traces are graded. Synchronous (no `crypto.subtle`), so it can run inline.
 */
import { fnv1aUtf8 } from "../fnv1a";

/** 32-bit FNV-1a over the UTF-8 bytes of `text`, finished with murmur3's fmix32. */
export function hash32(text: string): number {
  let hash = fnv1aUtf8(text);
  // FNV-1a alone spreads ids that differ only in their last character
  // ("run-1", "run-2") poorly in the high bits; fmix32 avalanches them.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Whether `traceId` falls inside a sample of `rate` (0–1). Rate 1 keeps every
 * trace and 0 none. `salt` (e.g. a grader id) gives independent samples for
 * different purposes while staying deterministic.
 */
export function isSampledIn(traceId: string, rate: number, salt = ""): boolean {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`sampling rate must be within [0, 1], got ${rate}`);
  if (rate === 1) return true;
  if (rate === 0) return false;
  return hash32(salt === "" ? traceId : `${salt}\u0000${traceId}`) / 2 ** 32 < rate;
}
