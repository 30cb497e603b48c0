/** @module Types of the fake OpenAI-compatible judge server. */
export interface FakeJudgeRule {
  match?: string | RegExp;
  /** The reply, or a function of the prompt that makes it. */
  answer?: string | Record<string, unknown> | ((prompt: string) => string | Record<string, unknown>);
  delayMs?: number;
  status?: number;
  retryAfter?: string;
  garbage?: boolean;
  drop?: boolean;
  times?: number;
}
export interface FakeJudge {
  url: string;
  port: number;
  /** Every request, in arrival order; `at` is when it arrived (ms since the epoch). */
  calls: { prompt: string; model: string; status: number; body: any; at: number }[];
  readonly maxInFlight: number;
  setRules(rules: FakeJudgeRule[]): void;
  close(): Promise<void>;
}
export function startFakeJudge(options?: {
  rules?: FakeJudgeRule[];
  defaultAnswer?: string | Record<string, unknown>;
  latencyMs?: number;
  port?: number;
}): Promise<FakeJudge>;
export const FIX_REQUEST: string;
export function proposeFix(prompt: string): { title: string; change: string; rationale: string };
