/**
 * @module What a graded window hands to its agent's regression dataset: each graded
 * trace with its final verdict and failing scores. The receiver deduplicates on
 * `windowId`, because grading is at-least-once and the same window may be delivered again.
 */

/** One graded trace offered to the dataset: failing ones become cases, passing ones may become guards. */
export interface CollectedTrace {
  traceId: string;
  input: unknown;
  /** The trace's output (a guard case keeps it as its reference output). */
  output?: unknown;
  /** The trace's final verdict over every grader version the window ran. */
  verdict: "pass" | "fail";
  /** The failing scores; empty for a passing trace. */
  failures: { graderId: string; graderVersion: number; name?: string; reason: string }[];
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
