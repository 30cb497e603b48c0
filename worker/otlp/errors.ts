/**
 * @module The error thrown when an OTLP request body cannot be decoded at all
 * (as opposed to single bad spans, which are rejected and counted).
 */

/** google.rpc.Code INVALID_ARGUMENT, what OTLP/HTTP expects in the Status of a 400. */
export const RPC_CODE_INVALID_ARGUMENT = 3;

/**
 * The whole body is undecodable: not protobuf, not JSON, or not shaped like an
 * ExportTraceServiceRequest. The message is a sentence for a google.rpc.Status
 * and says what to fix.
 */
export class OtlpDecodeError extends Error {
  override readonly name = "OtlpDecodeError";
  /** Machine-readable code for Flywheel's error envelope. */
  readonly code = "invalid_otlp_body";
  /** google.rpc.Code for the OTLP Status body. */
  readonly rpcCode = RPC_CODE_INVALID_ARGUMENT;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The error for a body that is not a protobuf ExportTraceServiceRequest at all. */
export function undecodableProtobuf(error: unknown): OtlpDecodeError {
  const detail = error instanceof Error ? error.message : String(error);
  return new OtlpDecodeError(
    `The body is not a valid protobuf ExportTraceServiceRequest (${detail}). ` +
      "Send OTLP/HTTP protobuf with Content-Type application/x-protobuf, or JSON with Content-Type application/json.",
    { cause: error },
  );
}
