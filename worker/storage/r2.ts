/**
 * @module The R2 adapter: trace object keys, create-only puts checked by SHA-256,
 * and reads that re-verify the hash. Nothing else touches the TRACES bucket.
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

export class TraceStore {
  constructor(private readonly bucket: R2Bucket) {}

  /**
   * Stores bytes only if the key is new. R2 checks `sha256` against what it received
   * and fails the put on a mismatch. When the key exists, the stored checksum tells a
   * harmless retry ("same") from a conflicting write ("different").
   */
  async putCreateOnly(key: string, bytes: Uint8Array, sha256: string): Promise<PutOutcome> {
    const created = await this.bucket.put(key, bytes, {
      sha256,
      onlyIf: new Headers({ "If-None-Match": "*" }),
      httpMetadata: { contentType: "application/json" },
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

  /** Reads an object and re-verifies its bytes against the SHA-256 recorded at ingest. */
  async getVerified(key: string, expectedSha256: string): Promise<Uint8Array | null> {
    const object = await this.bucket.get(key);
    if (!object) return null;
    const bytes = new Uint8Array(await object.arrayBuffer());
    const actual = await sha256Hex(bytes);
    if (actual !== expectedSha256) throw new TraceCorruptedError(key, expectedSha256, actual);
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
