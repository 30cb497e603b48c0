/**
 * @module The R2 adapter: trace object keys, create-only puts checked by SHA-256,
 * and reads that re-verify the hash. Nothing else touches the TRACES bucket.
 *
 * A stored trace is named by a ref: an object key, or `key#offset+length` for a trace
 * stored as a byte range of a segment object that holds several traces. Either way
 * the SHA-256 recorded with the ref covers exactly the trace's bytes, so a read
 * re-verifies one trace and corruption quarantines only the traces it touched.
 */
import { sha256Hex, toHex } from "./hash";

export type PutOutcome = "created" | "same" | "different";

export class TraceCorruptedError extends Error {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`R2 object ${key} has SHA-256 ${actual}, expected ${expected}`);
    this.name = "TraceCorruptedError";
  }
}

/** The key includes project and agent so a bucket listing groups traces the way users think of them. */
export function traceObjectKey(projectId: string, agent: string, traceId: string): string {
  return `traces/${projectId}/${encodeURIComponent(agent)}/${encodeURIComponent(traceId)}.json`;
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

export class TraceStore {
  constructor(private readonly bucket: R2Bucket) {}

  /**
   * Stores bytes only if the key is new. R2 checks `sha256` against what it received
   * and fails the put on a mismatch. When the key exists, the stored checksum tells a
   * harmless retry ("same") from a conflicting write ("different").
   */
  async putCreateOnly(key: string, bytes: Uint8Array, sha256: string, contentType = "application/json"): Promise<PutOutcome> {
    const created = await this.bucket.put(key, bytes, {
      sha256,
      onlyIf: new Headers({ "If-None-Match": "*" }),
      httpMetadata: { contentType },
      customMetadata: { sha256 },
    });
    if (created) return "created";
    const existing = await this.bucket.head(key);
    if (!existing) {
      // Deleted between the two calls (a conflict cleanup); let the client retry.
      throw new Error(`R2 object ${key} vanished during a create-only put`);
    }
    return storedSha256(existing) === sha256 ? "same" : "different";
  }

  /**
   * Reads a trace by its ref (a whole object or a segment's byte range) and re-verifies
   * its bytes against the SHA-256 recorded at ingest. A range read returns only that
   * trace's bytes, so the hash checked is the trace's own.
   */
  async getVerified(ref: string, expectedSha256: string): Promise<Uint8Array | null> {
    const { key, range } = parseTraceRef(ref);
    let object: R2ObjectBody | null;
    try {
      object = await this.bucket.get(key, range ? { range } : undefined);
    } catch (err) {
      // R2 answers 416 when the range starts past the object's end: the segment is not what was written.
      if (range && err instanceof Error && /range is not satisfiable/i.test(err.message)) throw new TraceCorruptedError(ref, expectedSha256, "");
      throw err;
    }
    if (!object) return null;
    const bytes = new Uint8Array(await object.arrayBuffer());
    const actual = await sha256Hex(bytes);
    // A truncated segment gives a short range, which the hash already rejects; the length check says why.
    if (actual !== expectedSha256 || (range && bytes.byteLength !== range.length)) {
      throw new TraceCorruptedError(ref, expectedSha256, actual);
    }
    return bytes;
  }

  async delete(key: string): Promise<void> {
    await this.bucket.delete(key);
  }

  /** Raw put without checks: only for the benchmark's floor route. */
  async putChecked(key: string, bytes: Uint8Array, sha256: string): Promise<void> {
    await this.bucket.put(key, bytes, { sha256 });
  }
}

function storedSha256(object: R2Object): string | undefined {
  const checksum = object.checksums.sha256;
  return checksum ? toHex(checksum) : object.customMetadata?.sha256;
}
