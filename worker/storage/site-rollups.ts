/**
 * @module D1 reads behind the site's overview. Everything comes from small tables the
 * trace index keeps up to date by trigger (agent_trace_days, agent_trace_states), the
 * graders table and the newest rows of grade_windows through its (project, agent,
 * closed_at) index: the cost grows with the number of agents, never with traces.
 */
import { and, desc, eq, gte, isNotNull, sql } from "drizzle-orm";
import type { AgentCounters, Interval, WindowDigest } from "../site/overview";
import type { Db } from "./db";
import { agentTraceDays, agentTraceStates, gradeWindows, graders } from "./schema";

/** Counters of every agent the project has traces or graders for, with its newest `windowLimit` windows. */
export async function agentCounters(
  db: Db,
  projectId: string,
  firstDay: string,
  windowLimit: number,
): Promise<AgentCounters[]> {
  const [states, days, graderRows] = await db.batch([
    db.select().from(agentTraceStates).where(eq(agentTraceStates.projectId, projectId)),
    db
      .select()
      .from(agentTraceDays)
      .where(and(eq(agentTraceDays.projectId, projectId), gte(agentTraceDays.day, firstDay))),
    db
      .select({ agent: graders.agent, enabled: sql<number>`sum(${graders.enabled})` })
      .from(graders)
      .where(eq(graders.projectId, projectId))
      .groupBy(graders.agent),
  ]);
  const byAgent = new Map<string, AgentCounters>();
  const entry = (agent: string) => {
    let c = byAgent.get(agent);
    if (!c) byAgent.set(agent, (c = { agent, states: {}, days: [], enabledGraders: 0, windows: [] }));
    return c;
  };
  for (const s of states) entry(s.agent).states[s.state] = s.traces;
  for (const d of days) entry(d.agent).days.push({ day: d.day, traces: d.traces });
  for (const g of graderRows) entry(g.agent).enabledGraders = Number(g.enabled ?? 0);

  const agents = [...byAgent.keys()].sort((a, b) => a.localeCompare(b));
  if (agents.length === 0) return [];
  // One indexed seek per agent, in one round trip.
  const windowQueries = agents.map((agent) =>
    db
      .select({
        seq: gradeWindows.seq,
        closedAt: gradeWindows.closedAt,
        passRate: gradeWindows.passRate,
        insufficient: gradeWindows.insufficient,
        traceCount: gradeWindows.traceCount,
        gradedCount: gradeWindows.gradedCount,
        ci: sql<string | null>`json_extract(${gradeWindows.rollup}, '$.passRateCI')`,
      })
      .from(gradeWindows)
      .where(and(eq(gradeWindows.projectId, projectId), eq(gradeWindows.agent, agent), isNotNull(gradeWindows.rollup)))
      .orderBy(desc(gradeWindows.closedAt), desc(gradeWindows.seq))
      .limit(windowLimit),
  );
  const windowLists = await db.batch(windowQueries as [(typeof windowQueries)[number]]);
  agents.forEach((agent, i) => {
    entry(agent).windows = (windowLists[i] ?? []).map(
      (w): WindowDigest => ({
        seq: w.seq,
        closedAt: w.closedAt,
        passRate: w.passRate,
        passRateCI: parseInterval(w.ci),
        insufficient: w.insufficient,
        traceCount: w.traceCount,
        gradedCount: w.gradedCount,
      }),
    );
  });
  return agents.map((a) => byAgent.get(a)!);
}

/** json_extract hands an object back as JSON text. */
function parseInterval(value: unknown): Interval | null {
  if (typeof value !== "string") return null;
  const parsed = JSON.parse(value) as { low?: unknown; high?: unknown } | null;
  return parsed && typeof parsed.low === "number" && typeof parsed.high === "number"
    ? { low: parsed.low, high: parsed.high }
    : null;
}
