import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readBody } from "./body";

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://x/", { method: "POST", body, headers, duplex: "half" } as RequestInit);

function chunked(total: number, chunk = 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk;
      controller.enqueue(new Uint8Array(chunk).fill(97));
    },
  });
  return { stream, pulled: () => sent };
}

describe("readBody", () => {
  it("returns wire and content bytes for plain and gzip bodies", async () => {
    const plain = await readBody(post("hello"), 100);
    expect(new TextDecoder().decode(plain.content)).toBe("hello");
    const gz = gzipSync("hello gzip");
    const unzipped = await readBody(post(gz, { "content-encoding": "gzip" }), 100);
    expect(new TextDecoder().decode(unzipped.content)).toBe("hello gzip");
    expect(unzipped.wire).toEqual(new Uint8Array(gz));
  });

  it("stops reading a chunked body at the limit", async () => {
    const { stream, pulled } = chunked(10 * 1024 * 1024);
    await expect(readBody(post(stream), 64 * 1024)).rejects.toMatchObject({ status: 413, code: "payload_too_large" });
    expect(pulled()).toBeLessThan(256 * 1024);
  });

  it("counts decompressed bytes, so a small gzip bomb is refused", async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.byteLength).toBeLessThan(100 * 1024);
    const err = await readBody(post(bomb, { "content-encoding": "gzip" }), 1024 * 1024).catch((e) => e);
    expect(err).toMatchObject({ status: 413 });
    expect(err.message).toContain("1048576");
  });

  it("takes a body of exactly the limit and refuses one byte more, with or without a Content-Length", async () => {
    const limit = 300 * 1024 + 7;
    const bytes = new Uint8Array(limit).map((_, i) => (i * 31) % 251);
    for (const make of [
      (b: Uint8Array) => post(b),
      (b: Uint8Array) => post(b, { "content-length": String(b.byteLength) }),
    ]) {
      // Buffer comparison: a deep equality over 300 KB takes seconds.
      expect(Buffer.from((await readBody(make(bytes), limit)).content).equals(bytes)).toBe(true);
      const over = new Uint8Array(limit + 1);
      over.set(bytes);
      await expect(readBody(make(over), limit)).rejects.toMatchObject({ status: 413 });
    }
  });

  it("assembles a streamed body of many chunks in order, at or under the limit", async () => {
    let n = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (n === 200) return controller.close();
        controller.enqueue(new Uint8Array(1000 + (n % 7)).fill(n++ % 256));
      },
    });
    const body = await readBody(post(stream), 201_200);
    expect(body.content.byteLength).toBe(
      Array.from({ length: 200 }, (_, i) => 1000 + (i % 7)).reduce((a, b) => a + b, 0),
    );
    expect([body.content[0], body.content[1000], body.content.at(-1)]).toEqual([0, 1, 199]);
  });

  it("refuses a declared Content-Length over the limit before reading", async () => {
    await expect(readBody(post("x".repeat(10), { "content-length": "999999" }), 100)).rejects.toMatchObject({
      status: 413,
    });
  });

  it("refuses invalid gzip and unknown encodings", async () => {
    await expect(readBody(post("not gzip", { "content-encoding": "gzip" }), 100)).rejects.toMatchObject({
      code: "invalid_gzip",
    });
    await expect(readBody(post("x", { "content-encoding": "br" }), 100)).rejects.toMatchObject({ status: 415 });
  });
});
