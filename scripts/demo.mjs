#!/usr/bin/env node
/**
 * @module `npm run demo`: turns the loop once with a made-up customer-support agent
 * (demo/support-agent.mjs), offline, and says what happened at each step and where
 * to look. Against a running Flywheel (`--url`, default http://127.0.0.1:8787, admin
 * token from .dev.vars or `--admin-token`), or, when nothing answers there and no
 * `--url` was given, against one it starts itself with throwaway state (on 8787 when
 * that port is free, so the README's links work, else on a free port), kept serving
 * until Ctrl-C so the pages can be opened. The fake LLM judge runs in this process.
 *
 * Options: `--url URL`, `--admin-token TOKEN`, `--exit` (stop a server it started at the end).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startServer } from "../bench/lib/server.mjs";
import { steps } from "../demo/steps.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = parseArgs(process.argv.slice(2));

const ctx = await connect();
let number = 0;
for (const step of steps) {
  number++;
  console.log(`\n${number}. ${step.title}`);
  const skipped = step.pending ?? step.skipWhen?.(ctx);
  if (skipped) {
    console.log(`   (skipped: ${skipped})`);
    continue;
  }
  await step.run(ctx);
}
if (ctx.server && !args.exit) {
  // The judge stays up with the server: a window graded later still reaches it.
  console.log(`\nThe demo's Flywheel keeps serving at ${ctx.url}; press Ctrl-C to stop it.`);
} else {
  await ctx.server?.stop();
  await ctx.judge?.close();
}

function parseArgs(argv) {
  const parsed = { url: undefined, adminToken: undefined, exit: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--url") parsed.url = argv[++i]?.replace(/\/+$/, "");
    else if (arg === "--admin-token") parsed.adminToken = argv[++i];
    else if (arg === "--exit") parsed.exit = true;
    else {
      console.error(`Unknown option ${arg}. Options: --url URL, --admin-token TOKEN, --exit`);
      process.exit(2);
    }
  }
  return parsed;
}

async function answers(url) {
  try {
    return (await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

async function connect() {
  const url = args.url ?? "http://127.0.0.1:8787";
  if (await answers(url)) {
    const adminToken = args.adminToken ?? process.env.ADMIN_TOKEN ?? tokenFromDevVars();
    console.log(`Using Flywheel at ${url}`);
    return { url, adminToken };
  }
  if (args.url) {
    console.error(`Nothing answers at ${url}/api/health. Start Flywheel (npm start) or leave out --url.`);
    process.exit(1);
  }
  console.log(`Nothing answers at ${url}; starting a Flywheel of its own for the demo (about 20 s)...`);
  const server = await startServer({ port: (await portIsFree(8787)) ? 8787 : await freePort() });
  console.log(`Started at ${server.url} (throwaway state in ${server.stateDir})`);
  return { url: server.url, adminToken: server.adminToken, server };
}

/** Something may hold the port without answering /api/health (another program). */
function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

function tokenFromDevVars() {
  try {
    const token = readFileSync(path.join(root, ".dev.vars"), "utf8")
      .match(/^ADMIN_TOKEN\s*=\s*(.+)$/m)?.[1]
      ?.trim();
    if (token) return token;
  } catch {}
  console.error("No ADMIN_TOKEN in .dev.vars; pass --admin-token (the server's ADMIN_TOKEN).");
  process.exit(1);
}
