/**
 * @module Flywheel's configuration: every limit and tuning knob, read from the
 * Worker's environment (wrangler.toml [vars], .dev.vars, secrets) and validated
 * once per environment object. README.md documents each value.
 */
import { z } from "zod";
import { ApiError } from "./errors";

const count = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

const configSchema = z.object({
  /** Bearer token for admin routes (creating projects, managing keys). */
  ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
  /** Largest request body accepted, counted after gzip decompression. */
  MAX_BODY_BYTES: count(10 * 1024 * 1024, 1024),
  /** Largest single trace (its normalised JSON) accepted in a native batch. */
  MAX_TRACE_BYTES: count(1024 * 1024, 1024),
  /** Most traces in one `POST /api/traces` array. */
  MAX_BATCH_TRACES: count(500),
  /** Number of TraceShard Durable Objects per project that record and index traces. */
  TRACE_SHARDS: count(2),
  /** How long a TraceShard waits to coalesce index rows into one D1 batch. */
  INDEX_FLUSH_DELAY_MS: count(250, 0),
  /** OTLP: a trace whose root span has arrived is finished (assembled, graded) after this long without a new span. */
  OTLP_QUIET_MS: count(5000, 0),
  /** OTLP: a trace whose root span never arrives (its parent lives in an untraced service) is finished after this long without a new span. */
  OTLP_ROOTLESS_QUIET_MS: count(60_000, 0),
  /** How long a verified API key is trusted by one isolate before D1 is asked again. */
  KEY_CACHE_SECONDS: count(30, 0),
  /** Default grade window size: a window is graded once it holds this many traces. */
  WINDOW_MAX_TRACES: count(50),
  /** Default grade window age: a window is graded once its oldest trace is this old (ms), so quiet agents are graded too. */
  WINDOW_MAX_AGE_MS: count(60_000, 1_000),
  /** Default fewest graded traces for a window's pass rate to count; fewer is reported as insufficient. */
  WINDOW_MIN_GRADED: count(20, 0),
  /** Share (0..1) of passing traces kept as `guard` cases of their agent's regression dataset. */
  DATASET_GUARD_RATE: z.coerce.number().min(0).max(1).default(0.05),
  /** Most cases in one dataset import or add: one change is one D1 batch, and D1 caps queries per invocation. */
  MAX_IMPORT_CASES: count(5000),
  /** OpenAI-compatible base URL (…/v1) judges call unless their definition names one. */
  JUDGE_BASE_URL: z.url().default("https://api.openai.com/v1"),
  /** Model judges use unless their definition names one. */
  JUDGE_MODEL: z.string().min(1).default("gpt-4o-mini"),
  /** The judge endpoint's key: a Wrangler secret (.dev.vars locally), never stored in D1 or returned. */
  JUDGE_API_KEY: z.string().optional(),
  /** How long one judge call may take before it is retried. */
  JUDGE_TIMEOUT_MS: count(30_000, 100),
  /** Attempts per judge call (429, 5xx, timeouts, dropped connections, unparsable answers) before the window is retried later. */
  JUDGE_MAX_ATTEMPTS: count(4),
  /** Judge calls in flight at once per agent. */
  JUDGE_CONCURRENCY: count(8),
  /** Judge tokens per project per UTC day; over it, judging pauses (windows stay pending) until the next day. */
  JUDGE_DAILY_TOKEN_BUDGET: count(2_000_000, 0),
  /** Final verdict policy of agents that set none: `human_overrides`, `any_fail` or `majority`. */
  FINAL_VERDICT_POLICY: z.enum(["any_fail", "majority", "human_overrides"]).default("human_overrides"),
  /** Default share (0..1) of graded traces queued for human review. */
  REVIEW_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** "1": judges must agree with humans before their failures count on their own (per agent overridable). */
  CALIBRATION_ENABLED: z.enum(["0", "1"]).default("0"),
  /** Fewest human verdicts before a judge version can be calibrated. */
  CALIBRATION_MIN_VERDICTS: count(20),
  /** Cohen's kappa with humans a judge version needs to be calibrated. */
  CALIBRATION_KAPPA_THRESHOLD: z.coerce.number().min(-1).max(1).default(0.6),
  /** "1" only when the benchmark starts the server: enables /__bench routes. Never set when deployed. */
  BENCH_ROUTES: z.enum(["0", "1"]).default("0"),
});

export type Config = z.output<typeof configSchema>;

const cache = new WeakMap<object, Config>();

/** The validated configuration for this environment; throws a readable error on a bad value. */
export function loadConfig(env: object): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    // Every request answers this until the variable is fixed; `npm start` stops on it.
    throw new ApiError(
      500,
      "invalid_config",
      `Invalid Flywheel configuration: ${problems}. Fix the variable (wrangler.toml [vars], .dev.vars or a Wrangler secret) and restart.`,
    );
  }
  cache.set(env, parsed.data);
  return parsed.data;
}
