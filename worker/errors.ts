/**
 * @module The one error type of the API. Every failure a client can see carries a
 * status, a machine-readable code and a sentence that says what to fix, and is
 * rendered as `{"error": {"code", "message"}}` by middleware/errors.ts.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const notFound = (what: string) => new ApiError(404, "not_found", `${what} was not found in this project.`);

/** A dependency (R2, D1, a Durable Object) failed: safe to retry the same request. */
export const unavailable = (what: string, retryAfterSeconds = 1) =>
  new ApiError(503, "unavailable", `${what} is temporarily unavailable; retry the same request.`, undefined, {
    "Retry-After": String(retryAfterSeconds),
  });
