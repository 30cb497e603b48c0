/**
 * Short runs of the long chaos scripts, so `npm test` exercises them too:
 * kill-and-retry with real clients (2 kills; `npm run chaos:kill` does 20) and
 * oversized bodies up to 64 MB (`npm run chaos:oversized` goes to 1 GB).
 * Each script starts its own server and exits non-zero when an invariant breaks.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..", "..");

function runScript(script: string, args: string[]): Record<string, number> {
  const result = spawnSync(process.execPath, [path.join(root, "bench", script), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  });
  const lines = result.stdout.trim().split("\n");
  if (result.status !== 0) throw new Error(`${script} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(lines[lines.length - 1]!);
}

describe("chaos scripts (short runs)", () => {
  it("loses and double-counts nothing while the server is killed and restarted", () => {
    const figures = runScript("kill-retry.mjs", ["--kills", "2", "--native-clients", "2"]);
    expect(figures.acked).toBeGreaterThan(0);
    expect(figures.otelTracesAcked).toBeGreaterThan(0);
    expect(figures.lost).toBe(0);
    expect(figures.doubleCounted).toBe(0);
    expect(figures.ungraded).toBe(0);
  }, 300_000);

  it("refuses oversized, chunked and gzip-bomb bodies and keeps serving", () => {
    const figures = runScript("oversized.mjs", ["--max-mb", "64"]);
    expect(figures.accepted).toBe(0);
    expect(figures.refused413).toBeGreaterThan(0);
    expect(figures.nextRequestServed).toBe(figures.cases);
  }, 300_000);
});
