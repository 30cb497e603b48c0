/**
 * @module Bulk rows for `npm run bench:trend`: graded traces and their graded windows
 * written straight into D1, as grading would have left them, so the site's endpoints can
 * be measured over a million traces without grading a million traces first. Never called
 * outside the benchmark route (BENCH_ROUTES=1).
 */
import type { Db } from "./db";

export interface BenchSeed {
  projectId: string;
  agent: string;
  /** First window number (0-based) and how many windows this call writes. */
  firstWindow: number;
  windows: number;
  tracesPerWindow: number;
  /** Every window count of the whole seed: window `n` closes `totalWindows - n` hours before `now`. */
  totalWindows: number;
  now: number;
}

const HOUR_MS = 3_600_000;
/** Windows per insert statement: each carries its members and rollup in one JSON parameter, which D1 caps at 2 MB. */
const WINDOWS_PER_STATEMENT = 100;

/** The rollup a window of the benchmark would have: two grader versions either side of the half-way edit, a p95 budget. */
function benchRollup(n: number, seed: BenchSeed, passCount: number) {
  const traces = seed.tracesPerWindow;
  const version = n < seed.totalWindows / 2 ? 1 : 2;
  const rate = passCount / traces;
  const ci = { low: Math.max(0, rate - 0.12), high: Math.min(1, rate + 0.1) };
  const histogram = Array.from({ length: 10 }, (_, i) => (i === 9 ? passCount : i === 0 ? traces - passCount : 0));
  return {
    traceCount: traces,
    gradedCount: traces,
    passCount,
    failCount: traces - passCount,
    errorCount: 0,
    skippedCount: 0,
    passRate: rate,
    passRateCI: ci,
    insufficient: false,
    insufficientReason: null,
    minGraded: 10,
    quarantinedCount: 0,
    supersededCount: 0,
    perGraderVersion: [
      {
        graderId: "grd_bench_rule",
        graderVersion: version,
        count: traces,
        pass: passCount,
        fail: traces - passCount,
        error: 0,
        skipped: 0,
        passRate: rate,
        ci,
        scoreHistogram: histogram,
        meanScore: rate,
        insufficient: false,
      },
    ],
    latencyMs: { p50: 800 + (n % 50), p90: 1300, p95: 1500 + (n % 200), p99: 2100, max: 2600 },
    windowScores: [
      {
        graderId: "grd_bench_p95",
        graderVersion: 1,
        verdict: n % 200 < 190 ? "pass" : "fail",
        score: 1,
        reason: "p95 latency within the 1600 ms budget",
      },
    ],
    agentVersions: { [`prompt-v${1 + Math.floor(n / 1000)}`]: traces },
  };
}

/** Writes windows `firstWindow … firstWindow + windows - 1` and all their traces, graded. */
export async function seedBenchWindows(db: Db, seed: BenchSeed): Promise<void> {
  const rows: unknown[][] = [];
  for (let n = seed.firstWindow; n < seed.firstWindow + seed.windows; n++) {
    const closedAt = seed.now - (seed.totalWindows - n) * HOUR_MS;
    const passCount = Math.round(seed.tracesPerWindow * (0.55 + 0.4 * (n / seed.totalWindows)));
    const members: Record<string, number> = {};
    for (let t = 0; t < seed.tracesPerWindow; t++) members[traceId(n, t, seed)] = 700 + ((t * 37) % 900);
    rows.push([
      `win_bench_${String(n).padStart(10, "0")}`,
      n + 1,
      new Date(closedAt - HOUR_MS).toISOString(),
      new Date(closedAt).toISOString(),
      JSON.stringify(members),
      passCount,
      passCount / seed.tracesPerWindow,
      JSON.stringify(benchRollup(n, seed, passCount)),
    ]);
  }
  const client = db.$client;
  const insertWindows = client.prepare(INSERT_WINDOWS);
  const statements = [];
  for (let i = 0; i < rows.length; i += WINDOWS_PER_STATEMENT) {
    statements.push(
      insertWindows.bind(
        JSON.stringify(rows.slice(i, i + WINDOWS_PER_STATEMENT)),
        seed.projectId,
        seed.agent,
        seed.tracesPerWindow,
      ),
    );
  }
  // The traces of these windows, generated inside SQLite: a million rows never cross the binding.
  const first = seed.firstWindow * seed.tracesPerWindow;
  const count = seed.windows * seed.tracesPerWindow;
  const startSeconds = (seed.now - seed.totalWindows * HOUR_MS) / 1000;
  statements.push(
    client
      .prepare(INSERT_TRACES)
      .bind(first, first + count - 1, seed.projectId, seed.agent, seed.tracesPerWindow, startSeconds),
  );
  await client.batch(statements);
}

const INSERT_WINDOWS = `
  INSERT INTO grade_windows (id, project_id, agent, seq, opened_at, closed_at, graded_at, members, quarantined,
    min_graded, trace_count, graded_count, pass_count, pass_rate, insufficient, rollup)
  SELECT json_extract(value, '$[0]'), ?2, ?3, json_extract(value, '$[1]'), json_extract(value, '$[2]'),
    json_extract(value, '$[3]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), 0, 10, ?4, ?4,
    json_extract(value, '$[5]'), json_extract(value, '$[6]'), 0, json_extract(value, '$[7]')
  FROM json_each(?1) WHERE true
  ON CONFLICT (id) DO NOTHING`;

const INSERT_TRACES = `
  WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
  INSERT INTO traces (project_id, id, agent, version, source, start_time, end_time, latency_ms, status, span_count,
    sha256, size_bytes, r2_key, state, received_at, updated_at)
  SELECT ?3, printf('bench-%08d', i), ?4, 'prompt-v' || (1 + (i / ?5) / 1000), 'native', t, t, 700 + (i * 37) % 900,
    'ok', 3, 'bench', 1024, 'bench/' || i, 'graded', t, t
  FROM (SELECT i, strftime('%Y-%m-%dT%H:%M:%fZ', ?6 + (i / ?5) * 3600 + 1800, 'unixepoch') AS t FROM n)
  WHERE true
  ON CONFLICT (project_id, id) DO NOTHING`;

const traceId = (n: number, t: number, seed: BenchSeed) =>
  `bench-${String(n * seed.tracesPerWindow + t).padStart(8, "0")}`;
