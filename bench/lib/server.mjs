/**
 * @module Starts Flywheel the way a user does (`scripts/start.mjs`, i.e. migrations +
 * wrangler dev) on a free port with a throwaway state directory. `scripts/start.mjs`
 * runs in its own process group and puts wrangler and both workerd processes in
 * another; stopping it stops both, and a simulated crash kills both groups.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * A port free now, drawn from below Linux's ephemeral range (32768-60999). A port the
 * kernel hands out for `listen(0)` may be handed to the next process that asks (the test
 * runner starts its own local runtimes at the same moment) before the server binds it;
 * one drawn from here is not handed out that way.
 */
export async function freePort() {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** `scripts/start.mjs` exits with this when its port is taken. */
const PORT_IN_USE_EXIT = 98;

/**
 * Servers run in their own process group; never leave one behind when this process
 * ends early (a timeout, Ctrl-C, a crash), or it keeps serving and watching files.
 */
const liveGroups = new Set();
function killLiveGroups() {
  for (const pid of liveGroups) killTree(pid);
}

/** The process groups of `pid` and of every process below it (wrangler runs in a group of its own). */
export function processGroupsUnder(pid) {
  const table = spawnSync("ps", ["-A", "-o", "pid=,ppid=,pgid="], { encoding: "utf8" }).stdout ?? "";
  const rows = table
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number));
  const tree = new Set([pid]);
  let size = 0;
  while (tree.size > size) {
    size = tree.size;
    for (const [child, parent] of rows) if (tree.has(parent)) tree.add(child);
  }
  return new Set([pid, ...rows.filter(([p]) => tree.has(p)).map(([, , group]) => group)]);
}

/** SIGKILL every group of the server's process tree: a crash, not a shutdown. */
function killTree(pid, groups = processGroupsUnder(pid)) {
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
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
  // A port picked here can still be taken before the server binds it: pick another then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOn(options.port ?? (await freePort()), options);
    } catch (err) {
      if (options.port !== undefined || err.exitCode !== PORT_IN_USE_EXIT || attempt === 3) throw err;
    }
  }
}

async function startServerOn(port, options) {
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
  const quiet = options.quiet !== false;
  const child = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit",
    // wrangler's debug log costs CPU under load; keep it out of the measured tree.
    env: { ...process.env, WRANGLER_LOG_PATH: logDir, WRANGLER_LOG: "warn" },
  });
  // A quiet server's last words, kept to say why it did not start.
  let lastOutput = "";
  const keep = (chunk) => {
    lastOutput = (lastOutput + chunk).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const said = () => (quiet ? `; its last output:\n${lastOutput.trim() || "(none)"}` : "");
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const closed = new Promise((resolve) => child.once("close", resolve));
  liveGroups.add(child.pid);
  child.once("exit", () => liveGroups.delete(child.pid));
  const deadline = performance.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
      throw Object.assign(new Error(`server exited with ${child.exitCode} before it was ready${said()}`), {
        exitCode: child.exitCode,
      });
    }
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      killTree(child.pid);
      await exited;
      throw new Error(`server did not become ready in 120 s${said()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // wrangler and both workerd processes share a group of their own, below `npm start`.
  const serverGroup = [...processGroupsUnder(child.pid)].find((group) => group !== child.pid) ?? child.pid;
  return {
    url,
    port,
    adminToken,
    stateDir,
    /** The process group of wrangler and workerd, whose CPU and memory the benchmarks measure. */
    pid: serverGroup,
    /** SIGKILL every process the server started: a crash, not a shutdown. */
    kill: async () => {
      killTree(child.pid);
      await exited;
    },
    /** SIGTERM to `npm start`, which stops wrangler and workerd; SIGKILL if that takes too long. */
    stop: async () => {
      const groups = processGroupsUnder(child.pid);
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(() => killTree(child.pid, groups), 10_000);
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
