/**
 * @module Grading one closed window: read each trace from R2 (re-verified; a corrupted
 * or missing trace is quarantined, not graded), run the pinned grader versions, write
 * scores and the rollup to D1 and build what the dataset receives. Every step is
 * idempotent, so the AgentWindow simply runs this again after any failure.
 */
import type { Trace } from "../../worker/domain/trace";
import { gradeTrace, gradeWindow, latencyOfTrace, type GraderVersion, type ScoreResult } from "../../worker/grading";
import { createDb } from "../../worker/storage/db";
import { loadGraderVersions, type GraderRef } from "../../worker/storage/grader-store";
import { TraceCorruptedError, TraceStore } from "../../worker/storage/r2";
import { writeWindowScores } from "../../worker/storage/score-store";
import { yieldToIo } from "../../worker/yield-to-io";
import { quarantineTrace } from "../../worker/traces/read-trace";
import type { CollectedTrace, WindowCollection } from "../../worker/dataset";
import { loadConfig } from "../../worker/config";
import type { JudgeCalls } from "../../worker/judge/judge-calls";
import { judgeWindow } from "../../worker/judge/judge-window";
import { isJudge } from "../../worker/judge/run-judges";
import { failuresBehind, type FinalDecision } from "../../worker/review/final-verdict";
import { recomputeRollup } from "./window-rollup";

export interface MemberRef {
  traceId: string;
  r2Key: string;
  sha256: string;
}

export interface ClosedWindow {
  projectId: string;
  agent: string;
  windowId: string;
  seq: number;
  openedAt: number;
  closedAt: number;
  minGraded: number;
  graders: GraderRef[];
  members: MemberRef[];
  /** A regrade that named its graders: only those graders' earlier scores are superseded. */
  onlyGraders?: boolean;
}

/** R2 reads in flight at once: enough to hide latency, few enough to stay polite. */
const READ_CONCURRENCY = 16;

/**
 * Grades a closed window: reads its members, runs the pinned grader versions (judges
 * through `calls`, which holds the answers asked as its traces arrived), then writes the
 * scores and builds what the dataset receives.
 */
export async function gradeClosedWindow(env: Env, w: ClosedWindow, calls?: JudgeCalls): Promise<WindowCollection> {
  return writeGradedWindow(env, w, await scoreClosedWindow(env, w, calls));
}

/** A window's scores, computed but not yet written: what {@link writeGradedWindow} stores. */
interface ScoredWindow {
  graders: GraderVersion[];
  traces: Trace[];
  quarantined: number;
  traceScores: Map<string, ScoreResult[]>;
  latencies: [string, number | null][];
  gradedAt: string;
}

/** The first half of grading: reads the members and runs every grader, judges included. Writes no score. */
async function scoreClosedWindow(env: Env, w: ClosedWindow, calls?: JudgeCalls): Promise<ScoredWindow> {
  const db = createDb(env.DB);
  // One set of GraderVersion objects for the whole window: compiled graders are cached per object.
  const graders = await loadGraderVersions(db, w.projectId, w.graders);
  const { traces, quarantined } = await readMembers(env, w);
  const gradedAt = new Date().toISOString();

  const traceScores = new Map<string, ScoreResult[]>();
  const latencies: [string, number | null][] = [];
  const synchronous = graders.filter((g) => !isJudge(g));
  for (const trace of traces) {
    traceScores.set(trace.id, gradeOneTrace(trace, synchronous));
    latencies.push([trace.id, safeLatency(trace)]);
  }
  // Judges call out: an outage or a spent budget throws, and the window is retried whole.
  await judgeWindow(db, loadConfig(env), w, traces, graders.filter(isJudge), traceScores, gradedAt, calls);
  return { graders, traces, quarantined, traceScores, latencies, gradedAt };
}

/** The second half: writes the scores, supersedes earlier ones, recomputes rollups, builds the collection. */
async function writeGradedWindow(env: Env, w: ClosedWindow, scored: ScoredWindow): Promise<WindowCollection> {
  const db = createDb(env.DB);
  const config = loadConfig(env);
  const { graders, traces, quarantined, traceScores, latencies, gradedAt } = scored;
  // fromEntries defines own properties, so even a trace id of "__proto__" is kept as data.
  const members = Object.fromEntries(latencies);
  const windowScores = gradeWindow(traces, graders);
  const names = new Map(graders.map((g) => [g.graderId, g.name]));

  const affected = await writeWindowScores(db, {
    window: {
      id: w.windowId,
      projectId: w.projectId,
      agent: w.agent,
      seq: w.seq,
      openedAt: new Date(w.openedAt).toISOString(),
      closedAt: new Date(w.closedAt).toISOString(),
      members,
      quarantined,
      minGraded: w.minGraded,
    },
    traceScores,
    windowScores,
    gradedAt,
    ...(w.onlyGraders ? { supersedeOnly: w.graders.map((g) => g.graderId) } : {}),
  });
  const decisions = await recomputeRollup(db, w.windowId, gradedAt, config);
  for (const earlier of affected) await recomputeRollup(db, earlier, gradedAt, config);

  return {
    projectId: w.projectId,
    agent: w.agent,
    windowId: w.windowId,
    traces: traces.flatMap((trace) => collected(trace, decisions.get(trace.id), gradedAt, names)),
  };
}

/**
 * Graders report their own failures as `error` scores; this also covers a trace whose
 * stored shape breaks the grading code itself, so one odd trace never sinks a window.
 */
export function gradeOneTrace(trace: Trace, graders: GraderVersion[]): ScoreResult[] {
  try {
    return gradeTrace(trace, graders);
  } catch (err) {
    const reason = `could not grade this trace: ${err instanceof Error ? err.message : String(err)}`;
    return graders.map((g) => ({
      graderId: g.graderId,
      graderVersion: g.version,
      verdict: "error" as const,
      score: null,
      reason,
    }));
  }
}

function safeLatency(trace: Trace): number | null {
  try {
    return latencyOfTrace(trace);
  } catch {
    return null;
  }
}

/**
 * Reads and re-verifies every member. A SHA-256 mismatch or a missing object is
 * permanent: the trace is quarantined and left out. Any other error (R2 unavailable)
 * is thrown so the whole window is retried later.
 */
async function readMembers(env: Env, w: ClosedWindow): Promise<{ traces: Trace[]; quarantined: number }> {
  const db = createDb(env.DB);
  const read = await readStoredTraces(env, w.members);
  const traces: Trace[] = [];
  let quarantined = 0;
  for (const [i, trace] of read.entries()) {
    if (trace) traces.push(trace);
    else {
      quarantined++;
      await quarantineTrace(env, db, w.projectId, w.members[i]!.traceId);
    }
  }
  return { traces, quarantined };
}

/**
 * Reads and re-verifies stored traces, `READ_CONCURRENCY` at a time, in the order given:
 * null for one whose bytes are missing, altered or not a trace. Any other error (R2
 * unavailable) is thrown.
 */
export async function readStoredTraces(env: Env, refs: readonly MemberRef[]): Promise<(Trace | null)[]> {
  const store = new TraceStore(env.TRACES);
  const traces: (Trace | null)[] = [];
  for (let i = 0; i < refs.length; i += READ_CONCURRENCY) {
    if (i > 0) await yieldToIo();
    const group = refs.slice(i, i + READ_CONCURRENCY).map(async (ref) => {
      try {
        const bytes = await store.getVerified(ref.r2Key, ref.sha256);
        return bytes ? parseTrace(bytes, ref.traceId) : null;
      } catch (err) {
        if (err instanceof TraceCorruptedError) return null;
        throw err;
      }
    });
    traces.push(...(await Promise.all(group)));
  }
  return traces;
}

/** Stored bytes are the normalised trace; defaults are filled again so graders see the model's shape. */
function parseTrace(bytes: Uint8Array, traceId: string): Trace | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const t = value as Partial<Trace>;
  return {
    ...t,
    id: traceId,
    status: t.status ?? "ok",
    metadata: t.metadata ?? {},
    tags: t.tags ?? [],
    spans: t.spans ?? [],
  } as Trace;
}

function collected(
  trace: Trace,
  decision: FinalDecision | undefined,
  gradedAt: string,
  names: ReadonlyMap<string, string>,
): CollectedTrace[] {
  const verdict = decision?.verdict ?? "none";
  if (verdict === "none" || !decision) return [];
  const reference = (trace.metadata as Record<string, unknown> | undefined)?.reference;
  return [
    {
      traceId: trace.id,
      input: trace.input,
      output: trace.output,
      verdict,
      failures: failuresBehind(decision).map((f) => ({ ...f, name: names.get(f.graderId) })),
      ...(reference === undefined ? {} : { reference }),
      seenAt: typeof trace.endTime === "string" ? trace.endTime : gradedAt,
    },
  ];
}
