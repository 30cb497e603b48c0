/** The client against a local HTTP server that misbehaves on purpose. */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { gunzipSync } from "node:zlib";
import { FlywheelClient, FlywheelError, retryAfterMs } from "./http-client.js";

let server: Server;
afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function serve(
  handler: (req: IncomingMessage, body: Buffer, attempt: number) => [number, unknown, Record<string, string>?],
) {
  let attempt = 0;
  const seen: { body: Buffer; headers: IncomingMessage["headers"] }[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ body, headers: req.headers });
      const [status, payload, headers] = handler(req, body, attempt++);
      if (status === 0) return req.socket.destroy();
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  return { baseUrl: `http://127.0.0.1:${port}`, seen };
}

describe("FlywheelClient", () => {
  it("sends a Content-Digest of the exact body and the same ids on every retry", async () => {
    const { baseUrl, seen } = await serve((_req, _body, attempt) =>
      attempt === 0
        ? [0, null]
        : attempt === 1
          ? [503, { error: { code: "unavailable", message: "retry" } }, { "retry-after": "0" }]
          : [201, { accepted: 1 }],
    );
    const client = new FlywheelClient({ baseUrl, apiKey: "fw_test", backoffMs: 1 });
    const result = await client.sendTraces({ agent: "bot", output: "hi" });
    expect(result).toEqual({ accepted: 1 });
    expect(seen).toHaveLength(3);
    const bodies = seen.map((s) => s.body.toString());
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!).id).toMatch(/^t-[0-9a-f]{32}$/);
    for (const { body, headers } of seen) {
      expect(headers["content-digest"]).toBe(`sha-256=:${createHash("sha256").update(body).digest("base64")}:`);
      expect(headers.authorization).toBe("Bearer fw_test");
    }
  });

  it("does not retry input the server refuses, and says why", async () => {
    const { baseUrl, seen } = await serve(() => [
      400,
      { error: { code: "invalid_trace", message: "agent: required" } },
    ]);
    const client = new FlywheelClient({ baseUrl, apiKey: "fw_test", backoffMs: 1 });
    const err = await client.sendTraces({ output: "no agent" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlywheelError);
    expect(err).toMatchObject({ status: 400, code: "invalid_trace" });
    expect(seen).toHaveLength(1);
  });

  it("waits as long as Retry-After asks before the next attempt", async () => {
    const { baseUrl, seen } = await serve((_req, _body, attempt) =>
      attempt === 0
        ? [429, { error: { code: "rate_limited", message: "slow down" } }, { "retry-after": "1" }]
        : [201, { accepted: 1 }],
    );
    const client = new FlywheelClient({ baseUrl, apiKey: "fw_test", backoffMs: 1 });
    const started = Date.now();
    await client.sendTraces({ agent: "bot" });
    expect(seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-12-01T10:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs("Tue, 01 Dec 2026 10:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("soon", now)).toBeUndefined();
  });

  it("gzips large bodies, with the digest over the compressed bytes", async () => {
    const { baseUrl, seen } = await serve(() => [201, { accepted: 1 }]);
    const client = new FlywheelClient({ baseUrl, apiKey: "fw_test" });
    await client.sendTraces({ agent: "bot", input: "x".repeat(5000) });
    const { body, headers } = seen[0]!;
    expect(headers["content-encoding"]).toBe("gzip");
    expect(headers["content-digest"]).toBe(`sha-256=:${createHash("sha256").update(body).digest("base64")}:`);
    expect(JSON.parse(gunzipSync(body).toString())).toMatchObject({ agent: "bot", input: "x".repeat(5000) });
  });

  it("gives up after maxRetries", async () => {
    const { baseUrl, seen } = await serve(() => [503, { error: { code: "unavailable", message: "down" } }]);
    const client = new FlywheelClient({ baseUrl, apiKey: "fw_test", backoffMs: 1, maxRetries: 2 });
    await expect(client.sendTraces({ agent: "a" })).rejects.toMatchObject({ status: 503 });
    expect(seen).toHaveLength(3);
  });
});
