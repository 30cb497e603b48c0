/**
 * @module CPU time used by a process group (the server: wrangler and both workerd
 * processes), read from /proc. Throughput on a shared 2-core machine moves with
 * whatever else runs; CPU milliseconds per request do not, so the benchmarks report
 * both. Linux only: elsewhere every reading is null.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU milliseconds (user + system) used so far by the processes in group `pgid`, or null without /proc. */
export function groupCpuMs(pgid) {
  const byProcess = processCpuMs(pgid);
  return byProcess && [...byProcess.values()].reduce((sum, ms) => sum + ms, 0);
}

/** CPU milliseconds used so far by each process (by pid) in group `pgid`, or null without /proc. */
export function processCpuMs(pgid) {
  if (!existsSync("/proc/self/stat")) return null;
  const out = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the parenthesised command name: state is field 3, pgrp 5, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid) continue;
    out.set(Number(entry), ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND);
  }
  return out;
}

/**
 * CPU milliseconds used so far by each thread (keyed "pid/tid", with its name) of the
 * processes in group `pgid`, or null without /proc. workerd runs every isolate on one
 * event-loop thread; V8's compiler and GC helpers run beside it on other threads.
 */
export function threadCpuMs(pgid) {
  const processes = processCpuMs(pgid);
  if (!processes) return null;
  const out = new Map();
  for (const pid of processes.keys()) {
    let tids;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        out.set(`${pid}/${tid}`, { name, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND });
      } catch {
        // exited meanwhile
      }
    }
  }
  return out;
}

/** The thread that used the most CPU between two `threadCpuMs` readings: { name, ms }. */
export function busiestThread(before, after) {
  let most = { name: null, ms: 0 };
  for (const [key, { name, ms }] of after) {
    const used = ms - (before.get(key)?.ms ?? 0);
    if (used > most.ms) most = { name, ms: used };
  }
  return most;
}

/** Per process, the CPU ms used between two `processCpuMs` readings; the largest is the bottleneck's. */
export function busiestProcessMs(before, after) {
  let most = 0;
  for (const [pid, ms] of after) most = Math.max(most, ms - (before.get(pid) ?? 0));
  return most;
}

/**
 * Waits at least `minMs` (deferred work such as OTLP assembly starts only after a
 * quiet period), then until the group has been idle (under `idleShare` of one core)
 * for two consecutive seconds, or `maxMs` passed; returns the CPU ms used meanwhile.
 * Deferred work belongs to the requests that caused it.
 */
export async function cpuUntilIdle(pgid, { minMs = 0, idleShare = 0.05, maxMs = 120_000 } = {}) {
  const start = groupCpuMs(pgid);
  if (start === null) return null;
  const begun = Date.now();
  let last = start;
  let quietSeconds = 0;
  while ((quietSeconds < 2 || Date.now() - begun < minMs) && Date.now() - begun < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = groupCpuMs(pgid);
    quietSeconds = now - last < idleShare * 1000 ? quietSeconds + 1 : 0;
    last = now;
  }
  return last - start;
}

/**
 * CPU milliseconds the hypervisor has taken from this machine so far (the `steal` column
 * of /proc/stat, summed over its cores), or null without /proc. On a shared VM, time
 * stolen during a run slows it without any process using more CPU: a run with much
 * stolen time measured the host, not the code.
 */
export function stolenCpuMs() {
  if (!existsSync("/proc/stat")) return null;
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  return (Number(fields[8] ?? 0) * 1000) / TICKS_PER_SECOND;
}

/**
 * Starts measuring what the hypervisor takes; the function returned gives the share of the
 * machine's CPU time (all its cores) taken since, or null without /proc. Benchmarks print it
 * as `stolenCpuShare`: on this kind of VM it ranged from 0 to 0.35 within an hour, and a run
 * with more than a few percent taken measured the host rather than the code.
 */
export function stealMeter() {
  const before = stolenCpuMs();
  const from = performance.now();
  return () => {
    if (before === null) return null;
    const share = (stolenCpuMs() - before) / ((performance.now() - from) * cpus().length);
    return Math.round(share * 1000) / 1000;
  };
}
