import { describe, expect, it } from "vitest";
import { parseContentDigest, verifyContentDigest } from "./digest";

const bytes = new TextEncoder().encode('{"agent":"a"}');
const b64 = async (alg: string) => Buffer.from(await crypto.subtle.digest(alg, bytes)).toString("base64");

describe("Content-Digest", () => {
  it("parses RFC 9530 dictionaries", () => {
    expect(parseContentDigest("sha-256=:YWJj:, sha-512=:ZGVm:")).toEqual(
      new Map([
        ["sha-256", "YWJj"],
        ["sha-512", "ZGVm"],
      ]),
    );
  });

  it("accepts a matching sha-256 or sha-512 and no header at all", async () => {
    await expect(verifyContentDigest(`sha-256=:${await b64("SHA-256")}:`, bytes)).resolves.toBeUndefined();
    await expect(verifyContentDigest(`sha-512=:${await b64("SHA-512")}:`, bytes)).resolves.toBeUndefined();
    await expect(verifyContentDigest(undefined, bytes)).resolves.toBeUndefined();
  });

  it("refuses a mismatch, a malformed header and unsupported algorithms with specific codes", async () => {
    const other = new TextEncoder().encode('{"agent":"b"}');
    await expect(verifyContentDigest(`sha-256=:${await b64("SHA-256")}:`, other)).rejects.toMatchObject({
      code: "digest_mismatch",
      status: 400,
    });
    await expect(verifyContentDigest("sha-256=abc", bytes)).rejects.toMatchObject({ code: "invalid_digest" });
    await expect(verifyContentDigest("md5=:AAAA:", bytes)).rejects.toMatchObject({ code: "unsupported_digest" });
    // Every supported digest present must match, not just one of them.
    await expect(
      verifyContentDigest(`sha-256=:${await b64("SHA-256")}:, sha-512=:${await b64("SHA-256")}:`, bytes),
    ).rejects.toMatchObject({ code: "digest_mismatch" });
  });
});
