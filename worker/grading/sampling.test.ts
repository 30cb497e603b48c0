import { describe, expect, it } from "vitest";
import { hash32, isSampledIn } from "./sampling";

const ids = Array.from({ length: 10_000 }, (_, i) => `run-${i}`);

describe("hash32", () => {
  it("is FNV-1a over UTF-8 bytes, finished with fmix32 (pinned values)", () => {
    // Pinned so which traces are sampled never shifts between releases.
    expect([hash32("run-1"), hash32("run-2"), hash32("é")]).toEqual([2463314387, 1885110964, 2387039943]);
  });

  it("hashes by UTF-8 bytes, matching TextEncoder for astral and lone-surrogate text", () => {
    const viaBytes = (text: string) => {
      let h = 0x811c9dc5;
      for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      return h >>> 0;
    };
    for (const text of ["abc", "é", "日本", "😀x", "a\ud800b"]) expect(hash32(text)).toBe(viaBytes(text));
  });
});

describe("isSampledIn", () => {
  it("is deterministic", () => {
    const first = ids.map((id) => isSampledIn(id, 0.3));
    expect(ids.map((id) => isSampledIn(id, 0.3))).toEqual(first);
  });

  it("keeps everything at 1 and nothing at 0", () => {
    expect(ids.every((id) => isSampledIn(id, 1))).toBe(true);
    expect(ids.some((id) => isSampledIn(id, 0))).toBe(false);
  });

  it("keeps about `rate` of 10k sequential ids", () => {
    for (const rate of [0.01, 0.1, 0.5, 0.9]) {
      const kept = ids.filter((id) => isSampledIn(id, rate)).length / ids.length;
      // 4 standard deviations of a binomial proportion at n = 10k.
      expect(Math.abs(kept - rate)).toBeLessThan(4 * Math.sqrt((rate * (1 - rate)) / ids.length));
    }
  });

  it("is monotonic in the rate: an id sampled at 0.2 is sampled at 0.5", () => {
    expect(ids.filter((id) => isSampledIn(id, 0.2) && !isSampledIn(id, 0.5))).toEqual([]);
  });

  it("gives independent samples per salt", () => {
    const a = ids.filter((id) => isSampledIn(id, 0.5, "grader-a"));
    const both = a.filter((id) => isSampledIn(id, 0.5, "grader-b")).length / ids.length;
    expect(Math.abs(both - 0.25)).toBeLessThan(0.02);
  });

  it("rejects rates outside [0, 1]", () => {
    expect(() => isSampledIn("x", 1.5)).toThrow(RangeError);
    expect(() => isSampledIn("x", Number.NaN)).toThrow(RangeError);
  });
});
