/**
 * @module Starts Flywheel the way a user does (`scripts/start.mjs`, i.e. migrations +
 * wrangler dev) on a free port with a throwaway state directory, in its own process
 * group so stopping it also stops both workerd processes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/**
 * Servers run in their own process group; never leave one behind when this process
 * ends early (a timeout, Ctrl-C, a crash), or it keeps serving and watching files.
 */
const liveGroups = new Set();
function killLiveGroups() {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }
}
process.once("exit", killLiveGroups);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    killLiveGroups();
    process.exit(130);
  });
}

/**
 * @param {{ vars?: Record<string,string>, port?: number, stateDir?: string, quiet?: boolean }} options
 */
export async function startServer(options = {}) {
  const port = options.port ?? (await freePort());
  const stateDir = options.stateDir ?? mkdtempSync(path.join(os.tmpdir(), "flywheel-state-"));
  const ownsState = !options.stateDir;
  const adminToken = options.vars?.ADMIN_TOKEN ?? `admin-${Math.random().toString(36).slice(2)}-token`;
  const vars = { ...options.vars, ADMIN_TOKEN: adminToken };
  const args = [
    path.join(root, "scripts", "start.mjs"),
    "--port",
    String(port),
    "--persist-to",
    stateDir,
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  const logDir = mkdtempSync(path.join(os.tmpdir(), "flywheel-log-"));
  const child = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: options.quiet === false ? "inherit" : "ignore",
    // wrangler's debug log costs CPU under load; keep it out of the measured tree.
    env: { ...process.env, WRANGLER_LOG_PATH: logDir, WRANGLER_LOG: "warn" },
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  liveGroups.add(child.pid);
  child.once("exit", () => liveGroups.delete(child.pid));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("server did not become ready in 120 s");
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    port,
    adminToken,
    stateDir,
    pid: child.pid,
    /** SIGKILL the whole process group: a crash, not a shutdown. */
    kill: async () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      await exited;
    },
    stop: async () => {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }, 5000);
      await exited;
      clearTimeout(timer);
      if (ownsState) rmSync(stateDir, { recursive: true, force: true });
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

export async function createProject(server, name = "bench") {
  const res = await fetch(`${server.url}/api/projects`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`create project: ${res.status} ${await res.text()}`);
  return res.json();
}
