#!/usr/bin/env node
/**
 * @module `npm start`: serve Flywheel locally on 127.0.0.1:8787 with local D1, R2 and
 * Durable Objects, offline and with no Cloudflare account.
 *
 * 1. creates `.dev.vars` with a random ADMIN_TOKEN unless the file exists (never overwritten);
 * 2. prepares the static assets (API reference page);
 * 3. applies the D1 migrations to the local database (output shown only on failure);
 * 4. runs wrangler's local dev server (scripts/serve-worker.mjs; warnings and errors
 *    only) and, once it answers, prints the address, the site, the API reference and
 *    how to read the admin token.
 *
 * wrangler runs in its own process group with both workerd processes, and a stop
 * signal to this process (SIGINT, SIGTERM, SIGHUP) stops that whole group, so
 * stopping `npm start` by its process id leaves nothing serving.
 *
 * Options: `--port N`, `--persist-to DIR` (local state, default .wrangler/state),
 * `--var NAME:VALUE` (repeatable; a plain-text binding, as `wrangler dev --var`).
 * A port something else listens on stops it at once with exit code 98.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prepareAssets } from "./prepare-assets.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = parseArgs(process.argv.slice(2));
const wranglerBin = path.join(root, "node_modules", ".bin", "wrangler");
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];
/** How long wrangler gets to stop workerd cleanly before the group is killed. */
const GRACE_MS = 5000;
/** The exit code when the port is taken (EADDRINUSE's number on Linux). */
const PORT_IN_USE_EXIT = 98;

// wrangler must not try to reach Cloudflare: no telemetry, no account lookups, no prompts.
const wranglerEnv = {
  ...process.env,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

await refuseBusyPort(args.port);
ensureDevVars(path.join(root, ".dev.vars"));
prepareAssets(root);
applyMigrations();
serve();

/**
 * Stops with a message when something already listens on the port: wrangler's dev server
 * would wait on it silently, and this process would never say it is ready. Exit code 98
 * (EADDRINUSE on Linux) tells a caller that picked the port to pick another.
 */
async function refuseBusyPort(port) {
  const problem = await new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (err) => resolve(err.code === "EADDRINUSE" ? "in use" : err.message));
    probe.listen(Number(port), "127.0.0.1", () => probe.close(() => resolve(null)));
  });
  if (problem === null) return;
  console.error(
    `Port ${port} on 127.0.0.1 is ${problem}: stop what listens there, or start on another, e.g. npm start -- --port 8788`,
  );
  process.exit(PORT_IN_USE_EXIT);
}

function parseArgs(argv) {
  const parsed = { port: "8787", persistTo: undefined, vars: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--port") parsed.port = argv[++i];
    else if (arg === "--persist-to") parsed.persistTo = argv[++i];
    else if (arg === "--var") parsed.vars.push(argv[++i]);
    else {
      console.error(`Unknown option ${arg}. Options: --port N, --persist-to DIR, --var NAME:VALUE`);
      process.exit(2);
    }
  }
  return parsed;
}

function ensureDevVars(file) {
  if (existsSync(file)) {
    const hasToken = /^ADMIN_TOKEN\s*=/m.test(readFileSync(file, "utf8"));
    if (!hasToken) console.warn(`${file} exists but sets no ADMIN_TOKEN; admin routes will refuse every call.`);
    return;
  }
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `# Local secrets for wrangler dev. Not committed.\nADMIN_TOKEN=${token}\n`, { mode: 0o600 });
  console.log(`Created ${file} with a random ADMIN_TOKEN.`);
}

function persistArgs() {
  return args.persistTo ? ["--persist-to", args.persistTo] : [];
}

function applyMigrations() {
  const result = spawnSync(wranglerBin, ["d1", "migrations", "apply", "DB", "--local", ...persistArgs()], {
    cwd: root,
    env: wranglerEnv,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    console.error("Applying the local D1 migrations failed; see the output above.");
    process.exit(result.status ?? 1);
  }
  if (/No migrations to apply/.test(result.stdout)) return console.log("D1 migrations: up to date.");
  const pending = result.stdout.split("Migrations to be applied:")[1]?.split("└")[0] ?? "";
  const names = pending.match(/[\w-]+\.sql/g) ?? [];
  console.log(`D1 migrations: applied ${names.join(", ") || "the pending ones"}.`);
}

function serve() {
  const varArgs = args.vars.flatMap((v) => ["--var", v]);
  // wrangler's dev server without the inspector `wrangler dev` always attaches: see serve-worker.mjs.
  const child = spawn(
    process.execPath,
    [
      "--no-warnings",
      "--experimental-vm-modules",
      path.join(root, "scripts", "serve-worker.mjs"),
      "--port",
      args.port,
      ...persistArgs(),
      ...varArgs,
    ],
    { cwd: root, env: wranglerEnv, stdio: ["ignore", "inherit", "inherit"], detached: true },
  );
  let stopping = false;
  const stop = async (exitCode) => {
    if (stopping) return;
    stopping = true;
    signalGroup(child.pid, "SIGTERM");
    const deadline = performance.now() + GRACE_MS;
    while (groupAlive(child.pid) && performance.now() < deadline) await sleep(100);
    signalGroup(child.pid, "SIGKILL");
    while (groupAlive(child.pid)) await sleep(50);
    process.exit(exitCode);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stop(signal === "SIGINT" ? 130 : 0));
  // If this process ends any other way, do not leave wrangler serving behind it.
  process.on("exit", () => signalGroup(child.pid, "SIGKILL"));
  child.on("exit", (code, signal) => {
    if (stopping) return;
    signalGroup(child.pid, "SIGKILL");
    process.exit(code ?? (signal ? 1 : 0));
  });
  void announceWhenReady(`http://127.0.0.1:${args.port}`, () => stopping || child.exitCode !== null).then((refusal) => {
    // A bad variable fails every request the same way: say which, and stop rather than wait for ever.
    if (refusal) {
      console.error(refusal);
      void stop(1);
    }
  });
}

/** Prints where Flywheel runs once it answers; returns the server's message when it refuses its configuration. */
async function announceWhenReady(url, gaveUp) {
  while (!gaveUp()) {
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
      const body = await res.json().catch(() => null);
      if (body?.error?.code === "invalid_config") return body.error.message;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  if (gaveUp()) return;
  const tokenFromVar = args.vars.some((v) => v.startsWith("ADMIN_TOKEN:"));
  console.log(
    [
      "",
      `Flywheel is running at ${url}`,
      `  site:        ${url}/`,
      `  reference:   ${url}/reference/`,
      tokenFromVar
        ? "  admin token: the one given with --var ADMIN_TOKEN:..."
        : `  admin token: sed -n 's/^ADMIN_TOKEN=//p' .dev.vars`,
      "Stop with Ctrl-C, or send SIGTERM to this process.",
      "",
    ].join("\n"),
  );
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
