/**
 * @module The R2 adapter: trace object keys, create-only puts checked by SHA-256,
 * and reads that re-verify the hash. Nothing else touches the TRACES bucket.
 *
 * A stored trace is named by a ref: an object key, or `key#offset+length` for a trace
 * stored as a byte range of a segment object that holds several traces. Either way
 * the SHA-256 recorded with the ref covers exactly the trace's bytes, so a read
 * re-verifies one trace and corruption quarantines only the traces it touched.
 *
 * Objects whose key ends in `.br` hold brotli data; in a segment each
 * slice is compressed on its own. The SHA-256 covers the bytes as stored; a read
 * verifies them, then decompresses.
 */
import { fnv1aCodeUnits } from "../fnv1a";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, constants as zlibConstants } from "node:zlib";
import { sha256Hex, toHex } from "./hash";

export type PutOutcome = "created" | "same" | "different";

export class TraceCorruptedError extends Error {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: string,
    reason = `has SHA-256 ${actual}, expected ${expected}`,
  ) {
    super(`R2 object ${key} ${reason}`);
    this.name = "TraceCorruptedError";
  }
}

/** Longest percent-encoded agent kept verbatim in a key; R2 keys are at most 1024 bytes. */
const MAX_AGENT_KEY_CHARS = 600;

/**
 * The key includes project and agent so a bucket listing groups traces the way users
 * think of them. An agent name that would not fit (OTLP service names are not bound
 * in bytes) or is not well-formed Unicode is replaced by a stable hash of it.
 */
export function traceObjectKey(projectId: string, agent: string, traceId: string): string {
  return `traces/${projectId}/${agentKeySegment(agent)}/${encodeURIComponent(traceId)}.json`;
}

const hex32 = (hash: number): string => (hash >>> 0).toString(16).padStart(8, "0");

function agentKeySegment(agent: string): string {
  if (!/[\ud800-\udfff]/u.test(agent)) {
    const encoded = encodeURIComponent(agent);
    if (encoded.length <= MAX_AGENT_KEY_CHARS) return encoded;
  }
  return `~${hex32(fnv1aCodeUnits(agent))}${hex32(fnv1aCodeUnits(agent, 0x050c5d1f))}`;
}

/** A trace stored as `length` bytes at `offset` in the object `key`. */
export function sliceRef(key: string, offset: number, length: number): string {
  return `${key}#${offset}+${length}`;
}

const SLICE_SUFFIX = /#(\d+)\+(\d+)$/;

/**
 * Splits a ref into key and byte range. Keys of whole objects never hold `#`: trace
 * ids and agents are percent-encoded in them, and project ids are generated.
 */
export function parseTraceRef(ref: string): { key: string; range?: { offset: number; length: number } } {
  const match = SLICE_SUFFIX.exec(ref);
  if (!match) return { key: ref };
  return { key: ref.slice(0, match.index), range: { offset: Number(match[1]), length: Number(match[2]) } };
}

/** How stored bytes are compressed: `br` (what Flywheel writes) or `gzip` (a client's own OTLP body, kept as sent). */
export type StoredEncoding = "br" | "gzip";

/**
 * Brotli at quality 0 for what Flywheel writes itself. Locally every byte of a put
 * passes through the R2 simulator on the thread that also serves ingest (about 18 ns
 * a byte, measured), and deployed every byte is storage. Quality 0 costs about 2 ns a
 * byte and shrinks trace JSON and OTLP protobuf about six times, as much as gzip at
 * level 1 does in a third of its time (measured in workerd on GenAI spans).
 */
export function compressForStorage(bytes: Uint8Array): Uint8Array {
  return brotliCompressSync(bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 0 } });
}

export function decompressStored(bytes: Uint8Array, encoding: StoredEncoding): Uint8Array {
  return encoding === "br" ? brotliDecompressSync(bytes) : gunzipSync(bytes);
}

/** Trace objects (and segments of slices) that Flywheel compresses say so by their key's `.br` suffix. */
export function encodingOfKey(key: string): StoredEncoding | null {
  return key.endsWith(".br") ? "br" : null;
}

export class TraceStore {
  constructor(private readonly bucket: R2Bucket) {}

  /**
   * Stores bytes only if the key is new. R2 checks `sha256` against what it received
   * and fails the put on a mismatch. When the key exists, the stored checksum tells a
   * harmless retry ("same") from a conflicting write ("different").
   */
  async putCreateOnly(
    key: string,
    bytes: Uint8Array,
    sha256: string,
    contentType = "application/json",
  ): Promise<PutOutcome> {
    const existing = await this.putIfAbsent(key, bytes, {
      sha256,
      httpMetadata: { contentType },
      customMetadata: { sha256 },
    });
    if (!existing) return "created";
    return storedSha256(existing) === sha256 ? "same" : "different";
  }

  /** A create-only put (R2 checks `options.sha256`): null when it created the object, else the object already there. */
  private async putIfAbsent(
    key: string,
    bytes: Uint8Array,
    options: R2PutOptions & { sha256: string },
  ): Promise<R2Object | null> {
    const created = await this.bucket.put(key, bytes, { ...options, onlyIf: new Headers({ "If-None-Match": "*" }) });
    if (created) return null;
    const existing = await this.bucket.head(key);
    // Deleted between the two calls (a conflict cleanup); let the client retry.
    if (!existing) throw new Error(`R2 object ${key} vanished during a create-only put`);
    return existing;
  }

  /**
   * Stores a content-addressed object: `key` names the content by its SHA-256, and the
   * stored bytes are a compressed encoding of it (the client's own gzip, or ours),
   * named in the object's custom metadata. R2 checks them against `storedSha256`. An
   * existing object is the same when it holds the same content, whatever its encoding;
   * the result names the SHA-256 of the bytes stored under the key, which a read verifies.
   */
  async putContentAddressed(
    key: string,
    stored: { bytes: Uint8Array; encoding: StoredEncoding; sha256: string },
    content: { sha256: string; contentType: string },
  ): Promise<{ outcome: PutOutcome; sha256: string }> {
    const { sha256 } = stored;
    const contentSha256 = content.sha256;
    // Not httpMetadata.contentEncoding: a reader gets the bytes exactly as stored, and decodes them itself.
    const existing = await this.putIfAbsent(key, stored.bytes, {
      sha256,
      httpMetadata: { contentType: content.contentType },
      customMetadata: { sha256, contentSha256, contentEncoding: stored.encoding },
    });
    if (!existing) return { outcome: "created", sha256 };
    const existingSha256 = storedSha256(existing);
    // An object written before requests were stored compressed holds the content itself, so its own hash names it.
    const existingContent =
      existing.customMetadata?.contentSha256 ?? (existing.customMetadata?.contentEncoding ? undefined : existingSha256);
    if (existingContent !== contentSha256 || existingSha256 === undefined)
      return { outcome: "different", sha256: existingSha256 ?? "" };
    return { outcome: "same", sha256: existingSha256 };
  }

  /**
   * Reads a trace by its ref (a whole object or a segment's byte range) and re-verifies
   * its bytes against the SHA-256 recorded at ingest. A range read returns only that
   * trace's bytes, so the hash checked is the trace's own. Compressed bytes are
   * inflated after the check; the result is the trace's own bytes.
   */
  async getVerified(ref: string, expectedSha256: string): Promise<Uint8Array | null> {
    const { key, range } = parseTraceRef(ref);
    let object: R2ObjectBody | null;
    try {
      object = await this.bucket.get(key, range ? { range } : undefined);
    } catch (err) {
      // R2 answers 416 when the range starts past the object's end: the segment is not what was written.
      if (range && err instanceof Error && /range is not satisfiable/i.test(err.message))
        throw new TraceCorruptedError(ref, expectedSha256, "");
      throw err;
    }
    if (!object) return null;
    const bytes = new Uint8Array(await object.arrayBuffer());
    // A truncated segment gives a short range, which the hash already rejects; the length check says why.
    const intact = !range || bytes.byteLength === range.length;
    return (await verifiedContent(ref, bytes, expectedSha256, encodingOfKey(key), intact)).content;
  }

  /**
   * Reads back an object written by `putContentAddressed` and returns its content:
   * the stored bytes must match `storedSha256`, then they are decompressed as their
   * custom metadata says, and the content must match the SHA-256 it was stored under.
   * Null when the object is gone; TraceCorruptedError when it is not what was written.
   */
  async getContentAddressed(key: string, storedSha256: string): Promise<Uint8Array | null> {
    const object = await this.bucket.get(key);
    if (!object) return null;
    const encoding = object.customMetadata?.contentEncoding;
    const bytes = new Uint8Array(await object.arrayBuffer());
    const { content, actual } = await verifiedContent(
      key,
      bytes,
      storedSha256,
      encoding === "br" || encoding === "gzip" ? encoding : null,
    );
    const contentSha256 = object.customMetadata?.contentSha256;
    if (contentSha256 !== undefined && (await sha256Hex(content)) !== contentSha256) {
      throw new TraceCorruptedError(
        key,
        storedSha256,
        actual,
        `decompresses to content that is not the content it was stored as (${contentSha256})`,
      );
    }
    return content;
  }

  async delete(key: string): Promise<void> {
    await this.bucket.delete(key);
  }

  /** Raw put without checks: only for the benchmark's floor route. */
  async putChecked(key: string, bytes: Uint8Array, sha256: string): Promise<void> {
    await this.bucket.put(key, bytes, { sha256 });
  }
}

/**
 * Stored bytes checked against the SHA-256 recorded when they were written (and, for a
 * range, against their length), then decompressed when `encoding` says they are
 * compressed. TraceCorruptedError names `name` when they are not what was written.
 */
async function verifiedContent(
  name: string,
  bytes: Uint8Array,
  expectedSha256: string,
  encoding: StoredEncoding | null,
  intact = true,
): Promise<{ content: Uint8Array; actual: string }> {
  const actual = await sha256Hex(bytes);
  if (actual !== expectedSha256 || !intact) throw new TraceCorruptedError(name, expectedSha256, actual);
  if (!encoding) return { content: bytes, actual };
  try {
    return { content: decompressStored(bytes, encoding), actual };
  } catch {
    // The hash matched what was written, so the writer stored bad data; it is unreadable all the same.
    throw new TraceCorruptedError(
      name,
      expectedSha256,
      actual,
      `passes its SHA-256 check but does not decompress (${encoding})`,
    );
  }
}

function storedSha256(object: R2Object): string | undefined {
  const checksum = object.checksums.sha256;
  return checksum ? toHex(checksum) : object.customMetadata?.sha256;
}
