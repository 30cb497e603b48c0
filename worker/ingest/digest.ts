/**
 * @module RFC 9530 `Content-Digest` checking. The digest covers the content as sent
 * (before gzip is undone). Only sha-256 and sha-512 are accepted: a header that
 * names no supported algorithm is refused rather than silently ignored, because a
 * client that sends a digest expects it to be checked.
 */
import { ApiError } from "../errors";

const ALGORITHMS: Record<string, string> = { "sha-256": "SHA-256", "sha-512": "SHA-512" };

/** Parses `sha-256=:BASE64:, sha-512=:BASE64:` into algorithm -> expected bytes (base64). */
export function parseContentDigest(header: string): Map<string, string> {
  const digests = new Map<string, string>();
  for (const member of header.split(",")) {
    const match = /^\s*([a-z0-9-]+)\s*=\s*:([A-Za-z0-9+/]*={0,2}):\s*$/i.exec(member);
    if (!match) {
      throw new ApiError(
        400,
        "invalid_digest",
        "Content-Digest is malformed; send it as `sha-256=:<base64 of the SHA-256 of the body>:` (RFC 9530).",
      );
    }
    digests.set(match[1]!.toLowerCase(), match[2]!);
  }
  return digests;
}

export async function verifyContentDigest(header: string | undefined | null, wire: Uint8Array): Promise<void> {
  if (!header) return;
  const digests = parseContentDigest(header);
  const supported = [...digests].filter(([alg]) => alg in ALGORITHMS);
  if (supported.length === 0) {
    throw new ApiError(
      400,
      "unsupported_digest",
      "Content-Digest names no supported algorithm; use sha-256 or sha-512.",
    );
  }
  for (const [alg, expected] of supported) {
    const actual = base64(await crypto.subtle.digest(ALGORITHMS[alg]!, wire));
    if (actual !== expected) {
      throw new ApiError(
        400,
        "digest_mismatch",
        `Content-Digest ${alg} does not match the received body (got ${actual}); the body was altered in transit or the digest was computed over different bytes. Nothing was stored.`,
      );
    }
  }
}

function base64(buffer: ArrayBuffer): string {
  let binary = "";
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}
