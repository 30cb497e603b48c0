import { describe, expect, it } from "vitest";
import { nanosToIso, unixNanosDecimal, unixNanosOf, unixNanosOfFixed64, unixNanosToIso } from "./span-record";

/** The BigInt-free timestamp path must give exactly what the BigInt one gives. */
describe("UnixNanos", () => {
  const samples: bigint[] = [
    1n,
    999_999n,
    1_000_000n,
    1_000_001n,
    1_764_151_200_000_000_000n,
    1_764_151_200_999_999_999n,
    1_764_151_201_000_000_000n,
    1_764_151_200_123_456_789n,
    (1n << 32n) - 1n,
    1n << 32n,
    (1n << 53n) + 1n,
    253_402_300_799_999_999_999n % (1n << 64n),
  ];
  for (let i = 0; i < 200; i++)
    samples.push(1_700_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 2 ** 52)) * 37n);

  it("splits a fixed64 exactly, as BigInt division does", () => {
    for (const nanos of samples) {
      const lo = Number(nanos & 0xffff_ffffn);
      const hi = Number(nanos >> 32n);
      const split = unixNanosOfFixed64(lo, hi);
      expect(split).toEqual(unixNanosOf(nanos));
      expect(unixNanosDecimal(split)).toBe(nanos.toString());
      expect(unixNanosToIso(split)).toBe(nanosToIso(nanos));
    }
  });

  it("treats zero and negative times as absent", () => {
    expect(unixNanosOfFixed64(0, 0)).toEqual({ ms: 0, subMs: 0 });
    expect(unixNanosOf(0n)).toEqual({ ms: 0, subMs: 0 });
    expect(unixNanosOf(-5n)).toEqual({ ms: 0, subMs: 0 });
  });
});
