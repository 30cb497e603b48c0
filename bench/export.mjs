#!/usr/bin/env node
/**
 * @module `npm run bench:export`: streamed dataset export throughput and the worker's
 * memory while it streams, from one local product (npm start's wrangler dev).
 *
 * 1. Fills two datasets through the real import API (JSONL chunks of MAX_IMPORT_CASES):
 *    10,000 and 100,000 cases of ~1 KB each.
 * 2. Restarts the server on the same state, so both exports start from the same fresh
 *    processes and the imports' memory is not counted.
 * 3. Exports the 10k dataset, then the 100k one, as JSONL over HTTP, reading the body as
 *    it streams, while sampling the RSS of the workerd that runs the Worker (with local
 *    D1). wrangler dev also runs a proxy workerd in front of it that holds forwarded
 *    bodies until its GC runs; it is reported apart (devProxy*) as it is not deployed.
 *
 *   mbPerSec              100k export: MB (10^6 bytes) received per second
 *   peakMemory10kMB       peak RSS of the Worker's workerd during the 10k export
 *   peakMemory100kMB      peak RSS of the Worker's workerd during the 100k export
 *   memoryRatio100kTo10k  flat streaming keeps this near 1 (10x the data, not 10x memory)
 *
 * Options: --small N (default 10000), --large N (default 100000), --chunk N (default 5000).
 * The last line printed is one JSON object with the figures.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createProject, startServer } from "./lib/server.mjs";
import { parseOptions } from "./lib/args.mjs";

const args = parseOptions();
const SMALL = Number(args.small ?? 10_000);
const LARGE = Number(args.large ?? 100_000);
const CHUNK = Number(args.chunk ?? 5_000);

/** A ~1 KB case: a realistic chat input, a reference answer and a grader failure. */
function caseLine(dataset, i) {
  const filler = `Customer ${i} asks about order A${i} placed with express shipping to the north warehouse. `.repeat(7);
  return JSON.stringify({
    input: [
      { role: "system", content: "You are a support agent." },
      { role: "user", content: `${dataset} #${i}: ${filler}` },
    ],
    expected: `Order A${i} shipped; tracking number TRK${String(i).padStart(8, "0")}.`,
    failure: {
      graderId: "mentions-tracking",
      graderVersion: "2",
      reason: "the answer did not include a tracking number",
    },
    tags: i % 10 === 0 ? ["escalated"] : [],
    sourceTraceId: `run-${dataset}-${i}`,
  });
}

async function fill(server, apiKey, name, count) {
  const headers = { authorization: `Bearer ${apiKey}` };
  const created = await fetch(`${server.url}/api/datasets`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (created.status !== 201) throw new Error(`create dataset: ${created.status} ${await created.text()}`);
  const { id } = await created.json();
  for (let start = 0; start < count; start += CHUNK) {
    const lines = [];
    for (let i = start; i < Math.min(count, start + CHUNK); i++) lines.push(caseLine(name, i));
    await importChunk(server, headers, id, lines.join("\n"));
  }
  return id;
}

/**
 * Imports one chunk, retrying a 503 (wrangler dev restarts the worker when source files
 * change). Retrying is safe: lines without ids match cases by input, so a chunk that was
 * applied before its answer was lost imports as "nothing changed" (200).
 */
async function importChunk(server, headers, id, body) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${server.url}/api/datasets/${id}/import`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/x-ndjson" },
      body,
    });
    if (res.status === 201 || (res.status === 200 && attempt > 1)) return;
    const text = await res.text();
    if (res.status !== 503 || attempt >= 5) throw new Error(`import: ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, 1000 * attempt));
  }
}

/**
 * The workerd processes in the server's process group (found through /proc), by role:
 * wrangler dev runs two. The one listening on the public port is wrangler's dev proxy,
 * which only forwards requests (it does not exist when deployed); the other runs the
 * Worker itself with its local D1, R2 and Durable Objects.
 */
function workerdProcesses(server) {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== server.pid || !stat.includes("(workerd)")) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      found.push({ pid: Number(entry), proxy: cmdline.includes(`entry=127.0.0.1:${server.port}`) });
    } catch {
      // the process exited while we looked
    }
  }
  return found;
}

/** RSS (MB) of the workerd that runs the Worker, and of wrangler's dev proxy. */
function workerdMemoryMB(server) {
  const memory = { worker: 0, proxy: 0 };
  for (const { pid, proxy } of workerdProcesses(server)) {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      memory[proxy ? "proxy" : "worker"] += kb / 1024;
    } catch {
      // exited
    }
  }
  return memory;
}

async function exportMeasured(server, apiKey, datasetId, expectedCases) {
  const peak = { worker: 0, proxy: 0 };
  const sample = () => {
    const now = workerdMemoryMB(server);
    peak.worker = Math.max(peak.worker, now.worker);
    peak.proxy = Math.max(peak.proxy, now.proxy);
  };
  sample();
  const sampler = setInterval(sample, 50);
  const started = performance.now();
  const res = await fetch(`${server.url}/api/datasets/${datasetId}/versions/latest/export?format=jsonl`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  if (res.status !== 200) throw new Error(`export: ${res.status} ${await res.text()}`);
  let bytes = 0;
  let newlines = 0;
  for await (const chunk of res.body) {
    bytes += chunk.byteLength;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) newlines++;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sample();
  if (newlines !== expectedCases) throw new Error(`export held ${newlines} cases, expected ${expectedCases}`);
  return { bytes, seconds, peak };
}

const stateDir = mkdtempSync(path.join(os.tmpdir(), "flywheel-bench-export-"));
let server;
try {
  server = await startServer({ stateDir });
  const project = await createProject(server, "bench-export");
  const fillStarted = performance.now();
  const small = await fill(server, project.apiKey, "small", SMALL);
  const large = await fill(server, project.apiKey, "large", LARGE);
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  console.log(`filled ${SMALL + LARGE} cases through the import API in ${fillSeconds.toFixed(1)} s`);
  await server.stop();

  server = await startServer({ stateDir, vars: { ADMIN_TOKEN: server.adminToken } });
  const idle = workerdMemoryMB(server);
  const report = (n, r) =>
    console.log(
      `export ${n}: ${(r.bytes / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(2)} s, peak RSS of the Worker's workerd ${r.peak.worker.toFixed(0)} MB (wrangler dev proxy ${r.peak.proxy.toFixed(0)} MB)`,
    );
  console.log(`idle: Worker's workerd ${idle.worker.toFixed(0)} MB, wrangler dev proxy ${idle.proxy.toFixed(0)} MB`);
  const s = await exportMeasured(server, project.apiKey, small, SMALL);
  report(SMALL, s);
  const l = await exportMeasured(server, project.apiKey, large, LARGE);
  report(LARGE, l);

  const mb = (x) => Number(x.toFixed(1));
  console.log(
    JSON.stringify({
      mbPerSec: mb(l.bytes / 1e6 / l.seconds),
      mbPerSec10k: mb(s.bytes / 1e6 / s.seconds),
      exportBytes100k: l.bytes,
      idleMemoryMB: mb(idle.worker),
      peakMemory10kMB: mb(s.peak.worker),
      peakMemory100kMB: mb(l.peak.worker),
      memoryRatio100kTo10k: Number((l.peak.worker / s.peak.worker).toFixed(2)),
      devProxyPeakMemory10kMB: mb(s.peak.proxy),
      devProxyPeakMemory100kMB: mb(l.peak.proxy),
      fillCasesPerSec: Math.round((SMALL + LARGE) / fillSeconds),
    }),
  );
} finally {
  await server?.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
