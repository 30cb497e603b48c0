/**
 * @module Native traces: `POST /api/traces` (one trace or an array), `GET /api/traces/{id}`
 * and the filtered, paged listing. The POST body is read by the streaming limiter
 * (not the generic JSON validator) so limits and Content-Digest apply to the bytes
 * received; its schema is still the one the OpenAPI document shows.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { traceSchema } from "../domain/trace";
import { ApiError } from "../errors";
import { readBody } from "../ingest/body";
import { verifyContentDigest } from "../ingest/digest";
import { parseJsonBody, prepareTraces, storeTraces, type ItemResult } from "../ingest/native";
import { TraceWriter } from "../ingest/trace-writer";
import { requireProject } from "../middleware/auth";
import { TraceStore } from "../storage/r2";
import { listTraceRows } from "../storage/trace-index";
import { readTrace } from "../traces/read-trace";
import { commonErrors, errorResponse, newRouter, notFoundError, projectSecurity } from "./router";

const ItemResultSchema = z
  .object({
    index: z.number().int(),
    id: z.string().optional(),
    status: z.enum(["created", "duplicate", "rejected"]),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi("TraceResult");
const IngestResponseSchema = z
  .object({
    id: z.string().optional().openapi({ description: "For a single trace: its id (generated when absent)." }),
    status: z.enum(["created", "duplicate"]).optional(),
    results: z
      .array(ItemResultSchema)
      .optional()
      .openapi({ description: "For an array: one result per item, by index." }),
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
  })
  .openapi("IngestResponse");

const ingestRoute = createRoute({
  method: "post",
  path: "/traces",
  tags: ["traces"],
  summary: "Send one trace or an array of traces",
  description:
    "Idempotent on the trace id: the same id and content again answers `duplicate` and counts once; the same id with other content answers 409 `trace_conflict`. An optional RFC 9530 `Content-Digest: sha-256=:<base64>:` is checked against the received bytes. `Content-Encoding: gzip` is accepted; limits count decompressed bytes.",
  security: projectSecurity,
  request: {
    headers: z.object({
      "content-digest": z
        .string()
        .optional()
        .openapi({ example: "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:" }),
    }),
    body: {
      required: true,
      content: { "application/json": { schema: z.union([traceSchema, z.array(traceSchema)]) } },
    },
  },
  responses: {
    200: {
      description: "Every trace was already stored (duplicates).",
      content: { "application/json": { schema: IngestResponseSchema } },
    },
    201: { description: "Stored.", content: { "application/json": { schema: IngestResponseSchema } } },
    207: {
      description: "An array where some items were rejected; see `results`.",
      content: { "application/json": { schema: IngestResponseSchema } },
    },
    409: errorResponse("A different trace with this id is already stored (`trace_conflict`)."),
    413: errorResponse("The body, a trace, or the batch is over its limit; the message names the limit."),
    415: errorResponse("Unsupported Content-Encoding."),
    ...commonErrors,
  },
});

const TraceSummarySchema = z
  .object({
    id: z.string(),
    agent: z.string(),
    version: z.string().nullable(),
    source: z.string(),
    startTime: z.string().nullable(),
    endTime: z.string().nullable(),
    latencyMs: z.number().nullable(),
    status: z.string(),
    state: z.string(),
    spanCount: z.number(),
    sha256: z.string(),
    sizeBytes: z.number(),
    receivedAt: z.string(),
  })
  .openapi("TraceSummary");

/** Stored times are `toISOString()` strings, so filters are normalised the same way to compare correctly. */
const isoInstant = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value).toISOString())
  .openapi({ type: "string", format: "date-time" });

const listQuery = z.object({
  agent: z.string().optional(),
  version: z.string().optional(),
  status: z.enum(["ok", "error"]).optional(),
  state: z.enum(["assembling", "finished", "graded", "quarantined"]).optional(),
  from: isoInstant.optional().openapi({ description: "Start time at or after (ISO 8601)" }),
  to: isoInstant.optional().openapi({ description: "Start time at or before (ISO 8601)" }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional().openapi({ description: "`nextCursor` of the previous page" }),
});

export const traceRoutes = newRouter();

traceRoutes.openAPIRegistry.registerPath(ingestRoute);
traceRoutes.post("/traces", requireProject, async (c) => {
  const { config } = c.var;
  const body = await readBody(c.req.raw, config.MAX_BODY_BYTES).catch((err: unknown) => {
    throw isPayloadTooLarge(err) ? tracesTooLarge(config.MAX_BODY_BYTES, config.MAX_TRACE_BYTES) : err;
  });
  await verifyContentDigest(c.req.header("content-digest"), body.wire);
  const { batch, prepared, rejected } = await prepareTraces(parseJsonBody(body.content), {
    maxTraceBytes: config.MAX_TRACE_BYTES,
    maxBatchTraces: config.MAX_BATCH_TRACES,
  });
  const writer = new TraceWriter(new TraceStore(c.env.TRACES), c.env);
  const results = prepared.length > 0 ? await storeTraces(writer, c.var.projectId, prepared, rejected) : rejected;
  const counts = countResults(results);

  if (!batch) {
    const result = results[0]!;
    if (result.status === "rejected") {
      const status = result.error.code === "trace_conflict" ? 409 : result.error.code === "trace_too_large" ? 413 : 400;
      throw new ApiError(status, result.error.code, result.error.message);
    }
    return c.json({ id: result.id, status: result.status, ...counts }, result.status === "created" ? 201 : 200);
  }
  if (counts.rejected === results.length) {
    throw new ApiError(400, "invalid_batch", "No trace in the array was accepted; see details for each item.", results);
  }
  const status = counts.rejected > 0 ? 207 : counts.accepted > 0 ? 201 : 200;
  return c.json({ results, ...counts }, status);
});

const isPayloadTooLarge = (err: unknown) => err instanceof ApiError && err.code === "payload_too_large";

/** The body may be one trace or a batch; the streamed read cannot tell, so the message covers both. */
const tracesTooLarge = (bodyLimit: number, traceLimit: number) =>
  new ApiError(
    413,
    "payload_too_large",
    `Request body exceeds the limit of ${bodyLimit} bytes (counted after gzip decompression; MAX_BODY_BYTES). An array of traces can be sent in smaller batches; a single trace must be at most ${traceLimit} bytes (MAX_TRACE_BYTES): trim its largest inputs, outputs or span payloads.`,
  );

function countResults(results: ItemResult[]) {
  return {
    accepted: results.filter((r) => r.status === "created").length,
    duplicates: results.filter((r) => r.status === "duplicate").length,
    rejected: results.filter((r) => r.status === "rejected").length,
  };
}

traceRoutes.openapi(
  createRoute({
    method: "get",
    path: "/traces/{id}",
    tags: ["traces"],
    summary: "Read one trace as stored (re-verified against its SHA-256)",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }) },
    responses: {
      200: {
        description: "The trace with its spans, plus `state`, `latencyMs`, `sha256`, `sizeBytes`, `receivedAt`.",
        content: { "application/json": { schema: z.looseObject({ id: z.string(), state: z.string() }) } },
      },
      409: errorResponse("The stored bytes failed the SHA-256 check; the trace is quarantined (`trace_corrupted`)."),
      ...commonErrors,
      ...notFoundError,
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await readTrace(c.env, c.var.db, c.var.projectId, id), 200);
  },
);

traceRoutes.openapi(
  createRoute({
    method: "get",
    path: "/traces",
    tags: ["traces"],
    summary: "List traces, newest first, filtered and paged",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { query: listQuery },
    responses: {
      200: {
        description: "A page of trace summaries; pass `nextCursor` back as `cursor` for the next page.",
        content: {
          "application/json": {
            schema: z.object({ traces: z.array(TraceSummarySchema), nextCursor: z.string().nullable() }),
          },
        },
      },
      ...commonErrors,
    },
  }),
  async (c) => {
    const { cursor, ...filters } = c.req.valid("query");
    const rows = await listTraceRows(c.var.db, c.var.projectId, { ...filters, cursor: decodeCursor(cursor) });
    const last = rows.length === filters.limit ? rows[rows.length - 1] : undefined;
    const traces = rows.map(({ projectId: _p, r2Key: _k, updatedAt: _u, ...summary }) => summary);
    return c.json({ traces, nextCursor: last ? encodeCursor(last.receivedAt, last.id) : null }, 200);
  },
);

function encodeCursor(receivedAt: string, id: string): string {
  return btoa(JSON.stringify([receivedAt, id]));
}

function decodeCursor(cursor: string | undefined): { receivedAt: string; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [receivedAt, id] = JSON.parse(atob(cursor)) as [unknown, unknown];
    if (typeof receivedAt === "string" && typeof id === "string") return { receivedAt, id };
  } catch {
    // fall through to the error below
  }
  throw new ApiError(
    400,
    "invalid_cursor",
    "cursor is not a value returned as nextCursor; omit it to start from the newest trace.",
  );
}
