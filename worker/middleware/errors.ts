/**
 * @module Renders every error in one shape. An exception the code does not recognise is
 * a `500 internal` with a request id (in the body and the log), never a 503: a 503 tells
 * clients to retry the same request, which is right only for a dependency that is down
 * or overloaded. Dependency failures are recognised here (Durable Object, D1 and R2
 * errors, and the adapters' own `unavailable` errors) and stay a retryable 503.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "../errors";

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Whether an error comes from a dependency rather than from this code: Durable Object
 * stubs mark theirs `retryable` / `overloaded` / `remote`; D1 and R2 name themselves in
 * the message; a network failure is a TypeError from fetch.
 */
export function isDependencyFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const flags = err as { retryable?: boolean; overloaded?: boolean; remote?: boolean };
  if (flags.retryable === true || flags.overloaded === true || flags.remote === true) return true;
  return /\b(D1_|SQLITE_BUSY|R2|Network connection lost|Durable Object|storage operation|internal error|unavailable|timed? ?out|overloaded)/i.test(
    err.message,
  );
}

/** The id that ties a response to its log line: Cloudflare's ray id when present, else a fresh one. */
function requestIdOf(c: Context): string {
  return c.req.header("cf-ray") ?? crypto.randomUUID();
}

export function renderError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    return c.json(errorBody("http_error", err.message || "Request failed."), err.status);
  }
  const requestId = requestIdOf(c);
  if (isDependencyFailure(err)) {
    console.error(`dependency failure [${requestId}]`, c.req.method, c.req.path, err);
    return c.json(
      {
        error: {
          code: "unavailable",
          message: "A service this request depends on is unavailable; retry the same request.",
          requestId,
        },
      },
      503,
      { "Retry-After": "1" },
    );
  }
  console.error(`unhandled error [${requestId}]`, c.req.method, c.req.path, err);
  return c.json(
    {
      error: {
        code: "internal",
        message: `The server failed on this request (request id ${requestId}); retrying the same request will not help. Report the request id.`,
        requestId,
      },
    },
    500,
  );
}
