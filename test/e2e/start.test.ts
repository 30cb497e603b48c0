/**
 * `npm start` as a user runs it: it says where Flywheel is once it answers, and a
 * stop signal to its process stops everything it started (wrangler and both workerd
 * processes), so nothing is left serving on the port; a port in use is said at once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper shared with the benchmarks
import { freePort, processGroupsUnder } from "../../bench/lib/server.mjs";

const root = path.resolve(import.meta.dirname, "..", "..");
const devVars = path.join(root, ".dev.vars");
const stateDir = mkdtempSync(path.join(os.tmpdir(), "flywheel-start-"));
let groups = new Set<number>();

afterAll(() => {
  // Only reached with processes left when an assertion failed: do not leave them serving.
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {}
  }
  rmSync(stateDir, { recursive: true, force: true });
});

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForOutput(child: ChildProcess, text: RegExp, output: { text: string }): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = output.text.match(text);
      if (match) resolve(match);
    };
    child.stdout!.on("data", (chunk) => {
      output.text += chunk;
      check();
    });
    child.once("exit", (code) =>
      reject(new Error(`npm start exited with ${code} before it was ready:\n${output.text}`)),
    );
  });
}

describe("npm start", () => {
  it("prints where Flywheel runs once ready, and a SIGTERM to it stops every process it started", async () => {
    // The global setup already ran start.mjs, which creates .dev.vars when it is missing.
    expect(existsSync(devVars)).toBe(true);
    const devVarsBefore = readFileSync(devVars, "utf8");
    const port = await freePort();
    // A group of its own, as a terminal gives `npm start`; the signal goes to the node process alone.
    const child = spawn(process.execPath, ["scripts/start.mjs", "--port", String(port), "--persist-to", stateDir], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const output = { text: "" };
    child.stderr!.on("data", (chunk) => (output.text += chunk));
    const [, url] = await waitForOutput(child, /Flywheel is running at (http:\/\/\S+)/, output);

    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(output.text).toContain(`site:        http://127.0.0.1:${port}/`);
    expect(output.text).toContain(`reference:   http://127.0.0.1:${port}/reference/`);
    expect(output.text).toContain("sed -n 's/^ADMIN_TOKEN=//p' .dev.vars");
    expect(output.text.split("\n").length).toBeLessThan(20);
    expect((await fetch(`${url}/api/health`)).status).toBe(200);

    groups = processGroupsUnder(child.pid!);
    expect(groups.size).toBeGreaterThan(1); // its own, and the one of wrangler and workerd
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);

    expect([...groups].filter(groupAlive)).toEqual([]);
    await expect(fetch(`${url}/api/health`)).rejects.toThrow();
    expect(readFileSync(devVars, "utf8")).toBe(devVarsBefore);
  });

  it("stops with the variable's problem, exit 1 and nothing left serving, when the configuration is invalid", async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ["scripts/start.mjs", "--port", String(port), "--persist-to", stateDir, "--var", "ADMIN_TOKEN:short"],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    child.stdout!.resume();
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toContain("Invalid Flywheel configuration: ADMIN_TOKEN");
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
  });

  it("says the port is in use and exits 98 at once, rather than waiting on it in silence", async () => {
    const taken = createServer((_req, res) => res.end("someone else"));
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, ["scripts/start.mjs", "--port", String(port), "--persist-to", stateDir], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let stderr = "";
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      child.stdout!.resume();
      const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
      expect(code).toBe(98);
      expect(stderr).toContain(`Port ${port} on 127.0.0.1 is in use`);
      // What listened there still answers, untouched.
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("someone else");
    } finally {
      taken.close();
    }
  });
});
