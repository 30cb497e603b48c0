#!/usr/bin/env node
/**
 * @module `npm start`: serve Flywheel locally on 127.0.0.1:8787 with local D1, R2 and
 * Durable Objects, offline and with no Cloudflare account.
 *
 * 1. creates `.dev.vars` with a random ADMIN_TOKEN unless the file exists (never overwritten);
 * 2. prepares the static assets (API reference page);
 * 3. applies the D1 migrations to the local database;
 * 4. runs `wrangler dev` in the foreground.
 *
 * Options: `--port N`, `--persist-to DIR` (local state, default .wrangler/state),
 * `--var NAME:VALUE` (repeatable; passed to wrangler dev).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prepareAssets } from "./prepare-assets.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = parseArgs(process.argv.slice(2));
const wranglerBin = path.join(root, "node_modules", ".bin", "wrangler");

// wrangler must not try to reach Cloudflare: no telemetry, no account lookups, no prompts.
const wranglerEnv = {
  ...process.env,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

ensureDevVars(path.join(root, ".dev.vars"));
prepareAssets(root);
applyMigrations();
serve();

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
  console.log(`Created ${file} with a random ADMIN_TOKEN (read it from that file to create projects).`);
}

function persistArgs() {
  return args.persistTo ? ["--persist-to", args.persistTo] : [];
}

function applyMigrations() {
  const result = spawnSync(wranglerBin, ["d1", "migrations", "apply", "DB", "--local", ...persistArgs()], {
    cwd: root,
    env: wranglerEnv,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) {
    console.error("Applying the local D1 migrations failed; see the output above.");
    process.exit(result.status ?? 1);
  }
}

function serve() {
  const varArgs = args.vars.flatMap((v) => ["--var", v]);
  const child = spawn(
    wranglerBin,
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      args.port,
      "--show-interactive-dev-session=false",
      ...persistArgs(),
      ...varArgs,
    ],
    { cwd: root, env: wranglerEnv, stdio: "inherit" },
  );
  const stop = (signal) => child.kill(signal);
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
