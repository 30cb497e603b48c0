/**
 * @module Reads a request body under a byte limit while it streams. A chunked body
 * has no Content-Length to check up front, and a gzip body is limited by what it
 * decompresses to, so both the wire bytes and the decompressed bytes are counted as
 * they arrive and the read stops at the first byte over the limit.
 */
import { gunzipSync } from "node:zlib";
import { ApiError } from "../errors";

export interface ReceivedBody {
  /** Bytes as sent on the wire (what Content-Digest covers). */
  wire: Uint8Array;
  /** Bytes after Content-Encoding is undone. */
  content: Uint8Array;
  /** `gzip` when `wire` is the gzip encoding of `content`. */
  encoding: "identity" | "gzip";
}

export const payloadTooLarge = (limit: number) =>
  new ApiError(
    413,
    "payload_too_large",
    `Request body exceeds the limit of ${limit} bytes (counted after gzip decompression). Split the batch into smaller requests.`,
  );

export async function readBody(request: Request, limit: number): Promise<ReceivedBody> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") {
    throw new ApiError(
      415,
      "unsupported_encoding",
      `Content-Encoding '${encoding}' is not supported; send the body uncompressed or with gzip.`,
    );
  }
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (encoding === "identity" && declared > limit) throw payloadTooLarge(limit);

  const wire = request.body ? await collect(request.body, limit) : new Uint8Array(0);
  if (encoding === "identity") return { wire, content: wire, encoding };
  return { wire, content: gunzip(wire, limit), encoding };
}

/**
 * Inflates with a hard cap on the output. A gzip bomb expands a few MB into GBs, and
 * a streaming decompressor can produce far more than it is asked for before a reader
 * gets to count it; zlib's `maxOutputLength` stops inflating at the limit, so memory
 * stays bounded whatever the compression ratio.
 */
function gunzip(wire: Uint8Array, limit: number): Uint8Array {
  try {
    return gunzipSync(wire, { maxOutputLength: limit });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw payloadTooLarge(limit);
    }
    throw new ApiError(400, "invalid_gzip", "The body is declared gzip (Content-Encoding) but is not valid gzip data.");
  }
}

/** Concatenates a stream's chunks, cancelling it as soon as the total passes `limit`. */
async function collect(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
