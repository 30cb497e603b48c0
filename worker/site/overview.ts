/**
 * @module The overview of every agent, pure: counters and the latest window rollups
 * become what the site's overview shows per agent (traces per day, the current pass
 * rate with its interval, a trend marker, traces waiting and why, quarantined traces).
 */

export interface Interval {
  low: number;
  high: number;
}

/** The fields of a graded window the overview needs, newest first as stored. */
export interface WindowDigest {
  seq: number;
  closedAt: string;
  passRate: number | null;
  passRateCI: Interval | null;
  insufficient: boolean | null;
  traceCount: number | null;
  gradedCount: number | null;
}

export interface AgentCounters {
  agent: string;
  /** Traces per state: received (spans still arriving), finished (waiting for grading), graded, quarantined. */
  states: Record<string, number>;
  /** Traces received per UTC day, any order, days without traces left out. */
  days: { day: string; traces: number }[];
  enabledGraders: number;
  /** Newest first. */
  windows: WindowDigest[];
}

export type TrendKind = "better" | "worse" | "steady" | "unknown";

export interface AgentOverview {
  agent: string;
  tracesPerDay: { day: string; traces: number }[];
  totalTraces: number;
  passRate: { value: number; ci: Interval | null; windowSeq: number; closedAt: string } | null;
  trend: { kind: TrendKind; text: string; windows: number };
  ungraded: { count: number; assembling: number; reason: "no_enabled_graders" | "window_open" | null };
  graded: number;
  quarantined: number;
  enabledGraders: number;
  windowCount: number;
  latestWindow: { seq: number; closedAt: string } | null;
}

/** How many of the latest trustworthy windows the trend marker compares. */
export const TREND_WINDOWS = 10;

/** The `count` UTC days ending with `today` (YYYY-MM-DD), oldest first. */
export function dayRange(today: string, count: number): string[] {
  const end = Date.parse(`${today}T00:00:00.000Z`);
  return Array.from({ length: count }, (_, i) =>
    new Date(end - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/**
 * Better or worse only when the oldest and newest of the last trustworthy windows have
 * intervals that do not overlap; windows with too few graded traces never count.
 */
export function trendMarker(windowsNewestFirst: readonly WindowDigest[]): AgentOverview["trend"] {
  const usable = windowsNewestFirst
    .filter((w) => !w.insufficient && w.passRate !== null && w.passRateCI !== null)
    .slice(0, TREND_WINDOWS);
  if (usable.length < 2)
    return { kind: "unknown", text: "not enough windows with enough graded traces", windows: usable.length };
  const newest = usable[0]!.passRateCI!;
  const oldest = usable[usable.length - 1]!.passRateCI!;
  const n = usable.length;
  if (newest.low > oldest.high) return { kind: "better", text: `better over the last ${n} windows`, windows: n };
  if (newest.high < oldest.low) return { kind: "worse", text: `worse over the last ${n} windows`, windows: n };
  return { kind: "steady", text: `no clear change over the last ${n} windows`, windows: n };
}

export function agentOverview(c: AgentCounters, days: readonly string[]): AgentOverview {
  const perDay = new Map(c.days.map((d) => [d.day, d.traces]));
  const state = (name: string) => Math.max(0, c.states[name] ?? 0);
  const waiting = state("finished");
  const current = c.windows.find((w) => !w.insufficient && w.passRate !== null);
  const latest = c.windows[0];
  return {
    agent: c.agent,
    tracesPerDay: days.map((day) => ({ day, traces: perDay.get(day) ?? 0 })),
    totalTraces: Object.values(c.states).reduce((sum, n) => sum + Math.max(0, n), 0),
    passRate: current
      ? { value: current.passRate!, ci: current.passRateCI, windowSeq: current.seq, closedAt: current.closedAt }
      : null,
    trend: trendMarker(c.windows),
    ungraded: {
      count: waiting,
      assembling: state("received"),
      reason: waiting === 0 ? null : c.enabledGraders === 0 ? "no_enabled_graders" : "window_open",
    },
    graded: state("graded"),
    quarantined: state("quarantined"),
    enabledGraders: c.enabledGraders,
    windowCount: c.windows.length,
    latestWindow: latest ? { seq: latest.seq, closedAt: latest.closedAt } : null,
  };
}
