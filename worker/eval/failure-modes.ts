/**
 * @module Groups failures into modes a developer can work on: the same grader version
 * failing for the same reason (numbers, ids and quoted values normalised away), on the
 * same tool, with the same error signature. Each mode has a count, a share of all
 * failures, its trend over recent grade windows, and example traces and dataset cases.
 * Pure: the route reads scores, windows and cases from D1 and hands them here.
 */

export interface FailureRecord {
  traceId: string | null;
  /** The grade window the score belongs to; null for a failure known only from a dataset case. */
  windowId: string | null;
  graderId: string;
  graderVersion: number;
  reason: string;
  /** What the grader definition names, when it names a tool (`tool_called`, `max_tool_calls`, ...). */
  tool?: string | null;
}

export interface WindowRef {
  windowId: string;
  closedAt: string;
  /** Traces with a final verdict in the window: the denominator of a mode's rate there. */
  gradedCount: number;
}

export interface CaseRef {
  caseId: string;
  sourceTraceId: string | null;
  failure: { graderId: string; graderVersion: number; reason: string } | null;
}

export interface FailureMode {
  /** Stable across requests: suggestions are stored under it. */
  key: string;
  graderId: string;
  graderVersion: number;
  /** The normalised reason shared by the mode's failures. */
  reason: string;
  exampleReason: string;
  tool: string | null;
  errorSignature: string | null;
  count: number;
  share: number;
  /** Oldest first, one point per recent window: failures of this mode and their rate among graded traces. */
  trend: { windowId: string; closedAt: string; count: number; rate: number | null }[];
  exampleTraceIds: string[];
  exampleCaseIds: string[];
  caseCount: number;
}

const EXAMPLES = 3;

/** Lower case, ids and numbers and quoted values replaced by placeholders, whitespace collapsed. */
export function normaliseReason(reason: string): string {
  return reason
    .toLowerCase()
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>")
    .replace(/\b(?=[0-9a-z_-]*\d)[0-9a-z]+[_-][0-9a-z_-]{5,}\b/g, "<id>")
    .replace(/\b[0-9a-f]{12,}\b/g, "<id>")
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/'(?:[^'\\]|\\.){1,200}'/g, "'…'")
    .replace(/\d+(?:\.\d+)?/g, "<n>")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 240);
}

/** The tool a reason names (graders write tool and span names in backticks). */
export function toolOfReason(reason: string): string | null {
  const match = /\b(?:tool|span) `([^`]{1,200})`/.exec(reason);
  return match ? match[1]! : null;
}

/** What kind of error a reason reports (`... ended in error: <message>`), normalised; null when none. */
export function errorSignatureOf(reason: string): string | null {
  const match = /ended in error(?:: (.*))?/i.exec(reason);
  if (!match) return null;
  return match[1] ? normaliseReason(match[1]).slice(0, 120) : "error";
}

export function modeKeyOf(parts: {
  graderId: string;
  graderVersion: number;
  reason: string;
  tool: string | null;
  errorSignature: string | null;
}): string {
  return JSON.stringify([parts.graderId, parts.graderVersion, parts.reason, parts.tool, parts.errorSignature]);
}

/**
 * Modes of `failures`, largest first. `windows` are the recent windows to draw each
 * mode's trend over; `cases` are a dataset version's cases, matched to a mode by the
 * trace they came from or by their recorded failure.
 */
export function clusterFailures(
  failures: readonly FailureRecord[],
  windows: readonly WindowRef[],
  cases: readonly CaseRef[] = [],
): FailureMode[] {
  const modes = new Map<string, FailureMode & { traces: Set<string>; byWindow: Map<string, number> }>();
  const modeOfTrace = new Map<string, string[]>();
  const modeOf = (graderId: string, graderVersion: number, rawReason: string, tool: string | null) => {
    const reason = normaliseReason(rawReason);
    const errorSignature = errorSignatureOf(rawReason);
    const key = modeKeyOf({ graderId, graderVersion, reason, tool, errorSignature });
    let mode = modes.get(key);
    if (!mode) {
      mode = {
        key,
        graderId,
        graderVersion,
        reason,
        exampleReason: rawReason,
        tool,
        errorSignature,
        count: 0,
        share: 0,
        trend: [],
        exampleTraceIds: [],
        exampleCaseIds: [],
        caseCount: 0,
        traces: new Set(),
        byWindow: new Map(),
      };
      modes.set(key, mode);
    }
    return mode;
  };

  for (const failure of failures) {
    const mode = modeOf(
      failure.graderId,
      failure.graderVersion,
      failure.reason,
      failure.tool ?? toolOfReason(failure.reason),
    );
    mode.count++;
    if (failure.windowId) mode.byWindow.set(failure.windowId, (mode.byWindow.get(failure.windowId) ?? 0) + 1);
    if (failure.traceId && !mode.traces.has(failure.traceId)) {
      mode.traces.add(failure.traceId);
      if (mode.exampleTraceIds.length < EXAMPLES) mode.exampleTraceIds.push(failure.traceId);
      modeOfTrace.set(failure.traceId, [...(modeOfTrace.get(failure.traceId) ?? []), mode.key]);
    }
  }

  for (const item of cases) {
    const keys = new Set(item.sourceTraceId ? (modeOfTrace.get(item.sourceTraceId) ?? []) : []);
    if (keys.size === 0 && item.failure) {
      const version = item.failure.graderVersion;
      const reason = normaliseReason(item.failure.reason);
      for (const mode of modes.values()) {
        if (mode.graderId === item.failure.graderId && mode.graderVersion === version && mode.reason === reason) {
          keys.add(mode.key);
        }
      }
    }
    for (const key of keys) {
      const mode = modes.get(key)!;
      mode.caseCount++;
      if (mode.exampleCaseIds.length < EXAMPLES) mode.exampleCaseIds.push(item.caseId);
    }
  }

  const total = failures.length;
  const ordered = [...windows].sort((a, b) => a.closedAt.localeCompare(b.closedAt));
  return [...modes.values()]
    .map(({ traces: _traces, byWindow, ...mode }) => ({
      ...mode,
      share: total === 0 ? 0 : mode.count / total,
      trend: ordered.map((w) => {
        const count = byWindow.get(w.windowId) ?? 0;
        return {
          windowId: w.windowId,
          closedAt: w.closedAt,
          count,
          rate: w.gradedCount > 0 ? count / w.gradedCount : null,
        };
      }),
    }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
