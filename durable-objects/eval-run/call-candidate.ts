/**
 * @module One call to a candidate's HTTP endpoint for one (case, repeat), classified:
 * an answer to grade, a failure worth retrying (connection refused, 429, 5xx, with the
 * endpoint's Retry-After), or a final error (timeout, other 4xx, a body that is not JSON).
 *
 * The request is `POST <endpoint>` with `{"runId", "caseId", "repeat", "input"}`; the
 * answer is JSON (see worker/eval/grade-case.ts for its shape).
 */

export type CandidateCall =
  | { kind: "answer"; raw: unknown; latencyMs: number }
  | { kind: "retry"; problem: string; retryAfterMs: number | null }
  | { kind: "error"; problem: string; latencyMs: number | null };

export interface CandidateRequest {
  endpoint: string;
  timeoutMs: number;
  body: { runId: string; caseId: string; repeat: number; input: unknown };
}

export type CandidateCaller = (request: CandidateRequest) => Promise<CandidateCall>;

/** Seconds or an HTTP date, as RFC 9110 allows; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export const fetchCandidate: CandidateCaller = async ({ endpoint, timeoutMs, body }) => {
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    if (name === "TimeoutError" || name === "AbortError") {
      return { kind: "error", problem: `the candidate did not answer within ${timeoutMs} ms`, latencyMs: null };
    }
    return { kind: "retry", problem: `the candidate could not be reached: ${String(err)}`, retryAfterMs: null };
  }
  try {
    const text = await response.text();
    const latencyMs = performance.now() - started;
    if (response.status === 429 || response.status >= 500) {
      return {
        kind: "retry",
        problem: `the candidate answered HTTP ${response.status}`,
        retryAfterMs: retryAfterMs(response.headers.get("retry-after")),
      };
    }
    if (!response.ok) {
      return {
        kind: "error",
        problem: `the candidate answered HTTP ${response.status}: ${text.slice(0, 200)}`,
        latencyMs,
      };
    }
    try {
      return { kind: "answer", raw: JSON.parse(text), latencyMs };
    } catch {
      return {
        kind: "error",
        problem: `the candidate's answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
        latencyMs,
      };
    }
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    if (name === "TimeoutError" || name === "AbortError") {
      return { kind: "error", problem: `the candidate did not answer within ${timeoutMs} ms`, latencyMs: null };
    }
    return { kind: "retry", problem: `the candidate's answer was cut off: ${String(err)}`, retryAfterMs: null };
  }
};
