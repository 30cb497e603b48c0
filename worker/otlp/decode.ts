/**
 * @module The one entry point for decoding a whole OTLP trace body into span records:
 * JSON by decode-json.ts, protobuf by the hand-written wire reader (wire-decode.ts),
 * which the generated decoder (decode-protobuf.ts) checks as an oracle in tests.
 * Ingest decodes JSON bodies here; a protobuf body is only scanned at ingest
 * (wire-scan.ts, through trace-pieces.ts) and its per-trace pieces are decoded here
 * at assembly. Decompression (gzip) and size limits happen before, in the ingest path.
 */
import { decodeJsonTraces } from "./decode-json.js";
import type { OtlpDecodeResult } from "./span-record.js";
import { decodeProtobufTracesFast } from "./wire-decode";

export type OtlpFormat = "protobuf" | "json";

/**
 * Decodes an ExportTraceServiceRequest. Invalid spans are rejected one by one
 * (counted, with reasons) so that one bad span does not sink its batch; a body
 * that cannot be decoded at all throws `OtlpDecodeError`.
 */
export function decodeOtlpTraces(body: Uint8Array, format: OtlpFormat): OtlpDecodeResult {
  return format === "json" ? decodeJsonTraces(body) : decodeProtobufTracesFast(body);
}

/**
 * The format of a request from its Content-Type, or null when it is neither
 * (OTLP/HTTP answers 415 then).
 */
export function otlpFormatOf(contentType: string | null | undefined): OtlpFormat | null {
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType === "application/x-protobuf" || mediaType === "application/protobuf") return "protobuf";
  if (mediaType === "application/json") return "json";
  return null;
}
