/**
 * @module When a grade window closes. A window is graded when it holds
 * `maxTraces` traces or its oldest trace is `maxAgeMs` old, whichever comes
 * first, so quiet agents are graded too. The Durable Object arms one alarm at
 * {@link nextAlarmAt} and re-evaluates on every trace and every alarm; alarms
 * are at-least-once, so these functions are pure and safe to call repeatedly.
 */
import { z } from "@hono/zod-openapi";

export const windowPolicySchema = z
  .strictObject({
    maxTraces: z
      .number()
      .int()
      .min(1, "must be at least 1")
      .max(100_000)
      .default(50)
      .openapi({ description: "Grade the window once it holds this many traces." }),
    maxAgeMs: z
      .number()
      .int()
      .min(1_000, "must be at least 1000 ms")
      .max(7 * 86_400_000)
      .default(60_000)
      .openapi({ description: "Grade the window once its oldest trace is this old (ms), however few it holds." }),
  })
  .openapi("WindowPolicy");

export type WindowPolicy = z.output<typeof windowPolicySchema>;

export interface WindowState {
  /** Traces in the open window. */
  count: number;
  /** When the oldest of them arrived (epoch ms); `null` for an empty window. */
  oldestAt: number | null;
}

/** Whether the open window should be graded now. An empty window never closes. */
export function shouldCloseWindow(state: WindowState, policy: WindowPolicy, now: number): boolean {
  if (state.count <= 0 || state.oldestAt === null) return false;
  return state.count >= policy.maxTraces || now - state.oldestAt >= policy.maxAgeMs;
}

/**
 * When the alarm should next fire: `now` if the window is due, the moment it
 * comes of age otherwise, `null` when there is nothing to wait for.
 */
export function nextAlarmAt(state: WindowState, policy: WindowPolicy, now: number): number | null {
  if (state.count <= 0 || state.oldestAt === null) return null;
  if (shouldCloseWindow(state, policy, now)) return now;
  return state.oldestAt + policy.maxAgeMs;
}

/** Delay before retrying a failed grading run (the same backoff as every alarm retry). */
export { retryDelayMs } from "../retry-delay";
