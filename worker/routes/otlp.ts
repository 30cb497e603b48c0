/**
 * @module OTLP/HTTP trace export: `POST /v1/traces` and its Langfuse-compatible
 * alias `POST /api/public/otel/v1/traces`. Protobuf or JSON, optionally gzip.
 * Answers as the OTLP spec says, in the request's format: an
 * ExportTraceServiceResponse (with `partialSuccess` when spans were rejected), or a
 * google.rpc.Status with a 4xx/5xx; only overload and failing dependencies get a
 * retryable status (503 with Retry-After), never bad data.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { readBody } from "../ingest/body";
import { ingestOtlp } from "../ingest/otlp";
import { errorBody, renderError } from "../middleware/errors";
import { requireProject } from "../middleware/auth";
import {
  encodeExportTraceResponse,
  encodeRpcStatus,
  OtlpDecodeError,
  otlpContentType,
  otlpFormatOf,
  partialSuccessOf,
} from "../otlp";
import { TraceStore } from "../storage/r2";
import { errorResponse, newRouter, projectSecurity } from "./router";

export const OTLP_PATHS = ["/v1/traces", "/api/public/otel/v1/traces"] as const;

/** google.rpc.Code for each HTTP status this route answers with. */
const RPC_CODES: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 413: 3, 415: 3, 429: 8, 503: 14 };
const RPC_INTERNAL = 13;

const statusBody = {
  "application/x-protobuf": { schema: z.string().openapi({ format: "binary", description: "google.rpc.Status" }) },
  "application/json": {
    schema: z
      .object({
        code: z.number().int().openapi({ description: "google.rpc.Code" }),
        message: z.string(),
        error: z
          .object({ code: z.string(), message: z.string() })
          .openapi({ description: "Flywheel's error, as on every route" }),
      })
      .openapi("RpcStatus"),
  },
};
const statusResponse = (description: string) => ({ description, content: statusBody });

const exportRoute = (path: string) =>
  createRoute({
    method: "post",
    path,
    tags: ["otlp"],
    summary: path === "/v1/traces" ? "OTLP/HTTP trace export" : "OTLP/HTTP trace export (Langfuse SDK path)",
    description:
      "An OTLP ExportTraceServiceRequest as `application/x-protobuf` or `application/json`, optionally `Content-Encoding: gzip` " +
      "(the body limit counts decompressed bytes). Auth: `Bearer <apiKey>` or `Basic base64(projectId:apiKey)`. " +
      "The request's bytes are stored in R2 and each span in the TraceShard owning its trace before the answer; " +
      "idempotent per (trace id, span id). A trace is assembled once its root span has arrived and no span came for " +
      "`OTLP_QUIET_MS`; a later span reopens it and produces a new revision. Read it with `GET /api/traces/{traceIdHex}`.",
    security: projectSecurity,
    request: {
      body: {
        required: true,
        content: {
          "application/x-protobuf": {
            schema: z.string().openapi({ format: "binary", description: "ExportTraceServiceRequest" }),
          },
          "application/json": {
            schema: z.looseObject({ resourceSpans: z.array(z.unknown()) }).openapi("ExportTraceServiceRequest"),
          },
        },
      },
    },
    responses: {
      200: {
        description:
          "Stored. Empty ExportTraceServiceResponse, or `partialSuccess {rejectedSpans, errorMessage}` when some spans were rejected (the others are stored).",
        content: {
          "application/x-protobuf": {
            schema: z.string().openapi({ format: "binary", description: "ExportTraceServiceResponse" }),
          },
          "application/json": {
            schema: z
              .object({ partialSuccess: z.object({ rejectedSpans: z.string(), errorMessage: z.string() }).optional() })
              .openapi("ExportTraceServiceResponse"),
          },
        },
      },
      400: statusResponse("The body is not an ExportTraceServiceRequest (or not valid gzip); do not retry."),
      401: statusResponse("Missing, unknown or revoked credentials."),
      413: statusResponse("The body (decompressed) is over MAX_BODY_BYTES; split the batch."),
      415: errorResponse(
        "Content-Type is neither application/x-protobuf nor application/json, or the Content-Encoding is not gzip.",
      ),
      503: statusResponse("A dependency is unavailable or overloaded; retry after Retry-After seconds."),
    },
  });

export const otlpRoutes = newRouter();

for (const path of OTLP_PATHS) {
  otlpRoutes.openAPIRegistry.registerPath(exportRoute(path));
  otlpRoutes.post(path, requireProject, exportTraces);
}
otlpRoutes.onError(renderOtlpError);

async function exportTraces(c: Context<AppEnv>): Promise<Response> {
  const format = otlpFormatOf(c.req.header("content-type"));
  if (!format) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      `Content-Type '${c.req.header("content-type") ?? ""}' is not OTLP; send application/x-protobuf or application/json.`,
    );
  }
  const { config } = c.var;
  const body = await readBody(c.req.raw, config.MAX_BODY_BYTES);
  const outcome = await ingestOtlp(c.env, new TraceStore(c.env.TRACES), c.var.projectId, body, format, {
    maxSpanBytes: config.MAX_TRACE_BYTES,
    shards: config.TRACE_SHARDS,
  });
  const response = encodeExportTraceResponse(partialSuccessOf(outcome.rejected), format);
  return c.body(response as Uint8Array<ArrayBuffer>, 200, { "content-type": otlpContentType(format) });
}

/**
 * OTLP clients read a google.rpc.Status in the request's format. Flywheel's error
 * code travels in a header, and in JSON also as the usual `error` object beside the
 * Status fields, so a program can branch on it either way. Without a known format
 * (415), the usual JSON error shape is the only sensible answer.
 */
function renderOtlpError(err: Error, c: Context<AppEnv>): Response {
  const format = otlpFormatOf(c.req.header("content-type"));
  if (!format) return renderError(err, c);
  const { status, code, message, headers } = describe(err);
  const rpcStatus = { code: RPC_CODES[status] ?? RPC_INTERNAL, message };
  const body =
    format === "json"
      ? new TextEncoder().encode(JSON.stringify({ ...rpcStatus, ...errorBody(code, message) }))
      : encodeRpcStatus(rpcStatus, format);
  return new Response(body as Uint8Array<ArrayBuffer>, {
    status,
    headers: { ...headers, "content-type": otlpContentType(format), "flywheel-error-code": code },
  });
}

function describe(err: Error): { status: number; code: string; message: string; headers: Record<string, string> } {
  if (err instanceof OtlpDecodeError) return { status: 400, code: err.code, message: err.message, headers: {} };
  if (err instanceof ApiError)
    return { status: err.status, code: err.code, message: err.message, headers: err.headers ?? {} };
  // A Durable Object that sheds load says so; either way the request is safe to retry.
  const overloaded = (err as { overloaded?: boolean }).overloaded === true;
  console.error("OTLP export failed", err);
  return {
    status: 503,
    code: overloaded ? "overloaded" : "unavailable",
    message: overloaded
      ? "Flywheel is overloaded; retry the same request after Retry-After seconds."
      : "A storage dependency is unavailable; retry the same request after Retry-After seconds.",
    headers: { "Retry-After": overloaded ? "5" : "1" },
  };
}
