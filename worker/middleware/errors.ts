/**
 * @module Renders every error in one shape. Unknown exceptions become a 503 with
 * Retry-After: they come from a failing dependency, and the request is safe to
 * retry because ingest is idempotent.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "../errors";

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function renderError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    return c.json(errorBody("http_error", err.message || "Request failed."), err.status);
  }
  console.error("unhandled error", c.req.method, c.req.path, err);
  return c.json(errorBody("unavailable", "The server could not complete the request; retry the same request."), 503, {
    "Retry-After": "1",
  });
}
