/**
 * @module The hand-off from a graded window to the agent's regression dataset. The
 * AgentWindow calls {@link handOffToDataset} after a window's scores and rollup are in
 * D1, and retries it (window state graded -> collected) until it succeeds, so the
 * receiver must be idempotent by `windowId`.
 */
import { collectWindowIntoDataset } from "../dataset-collect";

/** One graded trace offered to the dataset: failing ones become cases, passing ones may become guards. */
export interface CollectedTrace {
  traceId: string;
  input: unknown;
  /** The trace's output (a guard case keeps it as its reference output). */
  output?: unknown;
  /** The trace's final verdict over every grader version the window ran. */
  verdict: "pass" | "fail";
  /** The failing scores; empty for a passing trace. */
  failures: { graderId: string; graderVersion: number; reason: string }[];
  /** The trace's `metadata.reference`, when it carries one. */
  reference?: unknown;
  /** ISO 8601: the trace's end time, else when it was graded. */
  seenAt: string;
}

export interface WindowCollection {
  projectId: string;
  agent: string;
  /** Stable across retries: the receiver deduplicates on it. */
  windowId: string;
  traces: CollectedTrace[];
}

/**
 * Where the dataset's `collectWindowIntoDataset(env, collection)` is called. Until the
 * dataset store exposes it, a graded window is marked collected with nothing to do.
 * Throwing here leaves the window in `graded` and the AgentWindow retries it.
 */
export async function handOffToDataset(env: Env, collection: WindowCollection): Promise<void> {
  await collectWindowIntoDataset(env, collection);
}
