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

  const wire = request.body ? await collect(request.body, limit, declared) : new Uint8Array(0);
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

/** What a body without a usable Content-Length is first read into; it doubles as needed. */
const FIRST_BUFFER_BYTES = 64 * 1024;

/**
 * Reads a stream into one buffer, cancelling it as soon as the total passes `limit`.
 * With a BYOB reader the runtime fills the buffer with all it has at each read: a
 * 440 KB request body takes two or three reads instead of a hundred 4 KB chunks, and
 * with a Content-Length the bytes land where they stay. A stream without BYOB support
 * (one made in JavaScript) is read chunk by chunk into the same buffer.
 */
async function collect(stream: ReadableStream<Uint8Array>, limit: number, declared: number): Promise<Uint8Array> {
  const byob = byobReader(stream);
  const reader = byob ?? stream.getReader();
  // One byte past what is expected, so the end (or a body longer than declared) shows in a read.
  const expected =
    Number.isSafeInteger(declared) && declared >= 0 && declared <= limit
      ? declared + 1
      : Math.min(FIRST_BUFFER_BYTES, limit + 1);
  let buffer = new Uint8Array(expected);
  let total = 0;
  /** Room for `more` bytes after `total`; never more than one byte past the limit. */
  const makeRoom = (more: number): void => {
    if (total + more <= buffer.byteLength) return;
    const grown = new Uint8Array(Math.min(Math.max(buffer.byteLength * 2, total + more), limit + 1));
    grown.set(buffer.subarray(0, total));
    buffer = grown;
  };
  for (;;) {
    let read: number;
    if (byob) {
      // Room for at least one byte: at the limit, the next read tells the end from one byte too many.
      makeRoom(1);
      const { done, value } = await byob.read(buffer.subarray(total));
      // A read transfers the buffer: `value` views the same bytes in its new ArrayBuffer (an empty view at the end).
      if (value) buffer = new Uint8Array(value.buffer as ArrayBuffer);
      if (done) break;
      read = value.byteLength;
    } else {
      const { done, value } = await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
      if (done) break;
      read = value.byteLength;
      if (total + read <= limit) {
        makeRoom(read);
        buffer.set(value, total);
      }
    }
    total += read;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(limit);
    }
  }
  return buffer.subarray(0, total);
}

function byobReader(stream: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | null {
  try {
    return stream.getReader({ mode: "byob" });
  } catch {
    return null;
  }
}
