import { describe, expect, it } from "vitest";
import { sha256Hex } from "./hash";
import { compressForStorage, parseTraceRef, sliceRef, TraceCorruptedError, TraceStore } from "./r2";

/** Just enough of R2Bucket.get for ranged reads: one object held in memory. */
function bucketWith(key: string, bytes: Uint8Array): R2Bucket {
  return {
    async get(k: string, options?: R2GetOptions) {
      if (k !== key) return null;
      const range = options?.range as { offset: number; length: number } | undefined;
      const body = range ? bytes.slice(range.offset, range.offset + range.length) : bytes;
      return {
        arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength),
      } as R2ObjectBody;
    },
  } as unknown as R2Bucket;
}

describe("trace refs", () => {
  it("round-trips a segment slice and leaves whole-object keys alone", () => {
    const key = "traces/prj_1/segments/ab12/1700000000000-3.jsonl";
    expect(parseTraceRef(sliceRef(key, 120, 33_000))).toEqual({ key, range: { offset: 120, length: 33_000 } });
    expect(parseTraceRef("traces/prj_1/support-bot/run%2342.json")).toEqual({
      key: "traces/prj_1/support-bot/run%2342.json",
    });
  });

  it("verifies a slice against its own SHA-256, so damage elsewhere in the segment does not matter", async () => {
    const enc = new TextEncoder();
    const a = enc.encode('{"id":"a"}');
    const b = enc.encode('{"id":"b"}');
    const segment = new Uint8Array([...a, 0x0a, ...b, 0x0a]);
    const key = "traces/p/segments/s/1-1.jsonl";
    const refA = sliceRef(key, 0, a.byteLength);
    const refB = sliceRef(key, a.byteLength + 1, b.byteLength);
    segment[a.byteLength + 3]! ^= 0x01; // rot a byte of b
    const store = new TraceStore(bucketWith(key, segment));
    expect(await store.getVerified(refA, await sha256Hex(a))).toEqual(a);
    await expect(store.getVerified(refB, await sha256Hex(b))).rejects.toBeInstanceOf(TraceCorruptedError);
  });

  it("treats a segment cut short as corruption of the slices past its end", async () => {
    const a = new TextEncoder().encode('{"id":"a"}');
    const key = "traces/p/segments/s/1-2.jsonl";
    const store = new TraceStore(bucketWith(key, a.slice(0, 4)));
    await expect(store.getVerified(sliceRef(key, 0, a.byteLength), await sha256Hex(a))).rejects.toBeInstanceOf(
      TraceCorruptedError,
    );
  });

  it("verifies a compressed slice as stored, then decompresses it to the trace's own bytes", async () => {
    const enc = new TextEncoder();
    const a = compressForStorage(enc.encode('{"id":"a"}\n'));
    const b = compressForStorage(enc.encode('{"id":"b"}\n'));
    const key = "traces/p/segments/s/1-3.jsonl.br";
    const store = new TraceStore(bucketWith(key, new Uint8Array([...a, ...b])));
    const read = await store.getVerified(sliceRef(key, a.byteLength, b.byteLength), await sha256Hex(b));
    expect(new TextDecoder().decode(read!)).toBe('{"id":"b"}\n');
  });

  it("reports a slice that matches its hash but does not decompress as corrupted, not as a crash", async () => {
    const junk = new TextEncoder().encode("not brotli at all");
    const key = "traces/p/segments/s/1-4.jsonl.br";
    const store = new TraceStore(bucketWith(key, junk));
    await expect(store.getVerified(sliceRef(key, 0, junk.byteLength), await sha256Hex(junk))).rejects.toThrow(
      /does not decompress/,
    );
  });
});
