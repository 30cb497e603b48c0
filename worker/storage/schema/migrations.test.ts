/**
 * The hand-written migrations and the drizzle schema describe the same database: asked to
 * generate a migration, drizzle-kit finds nothing to do. A schema change without its
 * migration (or a migration drizzle-kit's snapshots do not know) fails here, not in a
 * deployed database.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..", "..", "..");
const work = mkdtempSync(path.join(os.tmpdir(), "flywheel-migrations-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("migrations", () => {
  it("hold everything the schema declares", async () => {
    const out = path.join(work, "migrations");
    cpSync(path.join(root, "migrations"), out, { recursive: true });
    const config = path.join(work, "drizzle.config.mjs");
    const schema = path.join(root, "worker", "storage", "schema", "index.ts");
    // drizzle-kit reads `out` relative to where it runs, whatever the path says.
    writeFileSync(config, `export default ${JSON.stringify({ dialect: "sqlite", schema, out: "./migrations" })};\n`);
    const before = readdirSync(out).sort();
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        path.join(root, "node_modules", ".bin", "drizzle-kit"),
        ["generate", "--config", config],
        { cwd: work, env: { ...process.env, CI: "true" } },
        (error, text) => (error ? reject(error) : resolve(text)),
      ),
    );
    expect(readdirSync(out).sort()).toEqual(before);
    // It exits 0 even when it fails, so its words are the verdict.
    expect(stdout).toContain("No schema changes");
  }, 60_000);
});
