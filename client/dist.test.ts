/** The committed build in client/dist is what client/src builds to, so plain-JS users run the tested code. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM build script
import { buildClient } from "./build.mjs";

describe("client/dist", () => {
  it("is up to date with client/src (else run `npm run build:client`)", async () => {
    const built: Map<string, string> = await buildClient();
    const dist = path.join(import.meta.dirname, "dist");
    expect(readdirSync(dist).sort()).toEqual([...built.keys()].sort());
    for (const [name, text] of built) expect(readFileSync(path.join(dist, name), "utf8"), name).toBe(text);
  }, 60_000);
});
