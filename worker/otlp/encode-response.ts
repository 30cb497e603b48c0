/**
 * @module OTLP/HTTP response bodies: ExportTraceServiceResponse (with
 * partial_success when spans were rejected) and google.rpc.Status for errors,
 * each in the format of the request.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { StatusSchema } from "./gen/google/rpc/status_pb.js";
import {
  ExportTracePartialSuccessSchema,
  ExportTraceServiceResponseSchema,
} from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
import type { OtlpFormat } from "./decode.js";
import type { OtlpRejections } from "./span-record.js";

export interface OtlpPartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** The partial success to report for a batch, or null when every span was accepted. */
export function partialSuccessOf(rejected: OtlpRejections): OtlpPartialSuccess | null {
  if (rejected.count === 0) return null;
  const noun = rejected.count === 1 ? "span was" : "spans were";
  const shown = rejected.reasons.length < rejected.count ? ` (first ${rejected.reasons.length} shown)` : "";
  return {
    rejectedSpans: rejected.count,
    errorMessage: `${rejected.count} ${noun} rejected${shown}: ${rejected.reasons.join("; ")}`,
  };
}

const utf8 = new TextEncoder();

/**
 * The body of a successful export. Without rejections it is an empty message,
 * as the spec asks; with them it carries partial_success.
 */
export function encodeExportTraceResponse(partial: OtlpPartialSuccess | null, format: OtlpFormat): Uint8Array {
  if (format === "json") {
    // proto3 JSON writes int64 as a decimal string.
    const body = partial
      ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } }
      : {};
    return utf8.encode(JSON.stringify(body));
  }
  const message = create(ExportTraceServiceResponseSchema, {
    partialSuccess: partial
      ? create(ExportTracePartialSuccessSchema, {
          rejectedSpans: BigInt(partial.rejectedSpans),
          errorMessage: partial.errorMessage,
        })
      : undefined,
  });
  return toBinary(ExportTraceServiceResponseSchema, message);
}

/** A google.rpc.Status body, what OTLP/HTTP sends with a 4xx/5xx. */
export function encodeRpcStatus(status: { code: number; message: string }, format: OtlpFormat): Uint8Array {
  if (format === "json") return utf8.encode(JSON.stringify({ code: status.code, message: status.message }));
  return toBinary(StatusSchema, create(StatusSchema, status));
}

/** Content-Type of a response in the request's format. */
export const otlpContentType = (format: OtlpFormat): string =>
  format === "json" ? "application/json" : "application/x-protobuf";
