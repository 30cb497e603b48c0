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
