/**
 * @module The AgentWindow's RPC contract: what a TraceShard hands it and what its
 * status answers. A leaf module, so callers import these types without the class.
 */
import type { WindowSettings, WindowSettingsInput } from "../../worker/grading/window-settings";

export interface FinishedTraceRef {
  traceId: string;
  r2Key: string;
  sha256: string;
  version: string | null;
}

/**
 * Who this window belongs to; passed on every call and remembered, because the object
 * cannot count on reading its own name: `ctx.id.name` is set for requests, but on the
 * pinned local runtime (workerd 2026-04-26) an alarm that wakes an evicted object gets
 * an id without its name (cloudflare/workerd#6850), and grading runs from the alarm.
 */
export interface WindowScope {
  projectId: string;
  agent: string;
}

export type WindowStateName = "open" | "closing" | "graded" | "collected";

export interface WindowStatus {
  settings: WindowSettings;
  /** Settings set through the API; null when every value is a server default. */
  custom: WindowSettingsInput | null;
  open: { windowId: string; traceCount: number; oldestAt: string | null; dueAt: string | null } | null;
  /** Closed windows whose grading or dataset hand-off has not finished (being retried). */
  pending: {
    windowId: string;
    state: WindowStateName;
    attempts: number;
    lastError: string | null;
    nextAttemptAt: string | null;
  }[];
}
