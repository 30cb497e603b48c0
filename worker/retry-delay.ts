/**
 * @module The one backoff: how long a Durable Object's alarm waits before retrying
 * work that failed (a grading run, an index flush), so a broken dependency is
 * retried, not dropped, and not hammered either.
 */

/** Exponential from `baseMs` (attempt 0 waits `baseMs`), capped at `maxMs`. */
export function retryDelayMs(attempt: number, baseMs = 1_000, maxMs = 300_000): number {
  const exponent = Math.max(0, Math.min(30, Math.floor(attempt)));
  return Math.min(maxMs, baseMs * 2 ** exponent);
}
