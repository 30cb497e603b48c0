import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { unavailable } from "../errors";
import { renderError } from "./errors";

function appThrowing(error: unknown) {
  const app = new Hono();
  app.onError(renderError);
  app.get("/boom", () => {
    throw error;
  });
  return app;
}

describe("renderError", () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers an exception it does not recognise with 500 internal and a request id in body and log", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await appThrowing(new TypeError("Cannot read properties of undefined (reading 'x')")).request("/boom", {
      headers: { "cf-ray": "8f00aa11bb22cc33-AMS" },
    });
    expect(res.status).toBe(500);
    expect(res.headers.get("retry-after")).toBeNull();
    const body = await res.json<{ error: { code: string; message: string; requestId: string } }>();
    expect(body.error).toMatchObject({ code: "internal", requestId: "8f00aa11bb22cc33-AMS" });
    expect(body.error.message).toMatch(/retrying the same request will not help/);
    expect(String(log.mock.calls[0]?.[0])).toContain("8f00aa11bb22cc33-AMS");
  });

  it("makes up a request id when the platform gave none", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await appThrowing(new URIError("URI malformed")).request("/boom");
    expect(res.status).toBe(500);
    expect((await res.json<{ error: { requestId: string } }>()).error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps 503 with Retry-After for a dependency that is down or overloaded", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const overloaded = Object.assign(new Error("Durable Object is overloaded"), { overloaded: true });
    for (const error of [overloaded, new Error("D1_ERROR: database is locked"), unavailable("R2")]) {
      const res = await appThrowing(error).request("/boom");
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect((await res.json<{ error: { code: string } }>()).error.code).toBe("unavailable");
    }
  });
});
