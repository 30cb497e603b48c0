import { describe, expect, it } from "vitest";
import { chunkRows } from "./chunk";

describe("chunkRows", () => {
  const rows = Array.from({ length: 25 }, (_, i) => i);

  it("keeps every chunk under 100 parameters and every row exactly once", () => {
    const chunks = chunkRows(rows, 9);
    expect(chunks.map((c) => c.length)).toEqual([11, 11, 3]);
    expect(chunks.flat()).toEqual(rows);
    for (const chunk of chunks) expect(chunk.length * 9).toBeLessThanOrEqual(100);
  });

  it("counts parameters bound once per statement", () => {
    expect(chunkRows(rows, 1, 100, 3).map((c) => c.length)).toEqual([25]);
    expect(
      chunkRows(
        Array.from({ length: 200 }, (_, i) => i),
        1,
        100,
        3,
      ).map((c) => c.length),
    ).toEqual([97, 97, 6]);
    expect(chunkRows(rows, 10, 100, 1).map((c) => c.length)).toEqual([9, 9, 7]);
  });

  it("fills chunks exactly at the limit", () => {
    expect(
      chunkRows(
        Array.from({ length: 20 }, (_, i) => i),
        10,
      ).map((c) => c.length),
    ).toEqual([10, 10]);
  });

  it("returns no chunks for no rows", () => {
    expect(chunkRows([], 5)).toEqual([]);
  });

  it("refuses rows that cannot fit", () => {
    expect(() => chunkRows(rows, 101)).toThrow(/101 bound parameters/);
    expect(() => chunkRows(rows, 50, 100, 51)).toThrow(RangeError);
    expect(() => chunkRows(rows, 0)).toThrow(/positive integer/);
  });
});
