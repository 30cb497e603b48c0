/**
 * @module Window statistics: pass rates with Wilson confidence intervals,
 * latency percentiles, and the per-window rollup the trend page plots.
 * Scores are bucketed by grader id *and* version, never mixed across versions.
 */
import type { ScoreResult } from "./definitions";
import { type FinalVerdict, finalVerdict } from "./verdict";

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for a binomial proportion. Unlike the normal
 * approximation it stays inside [0, 1] and behaves at 0/n and n/n, which is
 * exactly where small windows live. With no trials it is the whole [0, 1].
 */
export function wilsonInterval(passes: number, n: number, z = 1.96): Interval {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(passes) || passes < 0 || passes > n) {
    throw new RangeError(`wilsonInterval needs whole numbers 0 <= passes <= n, got ${passes}/${n}`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const p = passes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * The p-th percentile (0–100) of ascending `sortedValues`, interpolating
 * linearly between the closest ranks (NumPy's default, Excel's PERCENTILE.INC).
 * `null` for no values.
 */
export function percentile(sortedValues: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`);
  const n = sortedValues.length;
  if (n === 0) return null;
  const rank = (p / 100) * (n - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sortedValues[lower]!;
  return low + (sortedValues[upper]! - low) * (rank - lower);
}

export const HISTOGRAM_BINS = 10;

export interface GraderVersionSummary {
  graderId: string;
  graderVersion: number;
  /** Scores given (one per trace the grader applied to). */
  count: number;
  pass: number;
  fail: number;
  error: number;
  skipped: number;
  /** pass / (pass + fail); `null` when nothing was passed or failed. */
  passRate: number | null;
  ci: Interval | null;
  /** Counts of numeric scores in [0, 0.1), [0.1, 0.2), … [0.9, 1]. */
  scoreHistogram: number[];
  meanScore: number | null;
  /** Fewer than `minGraded` pass/fail verdicts: do not plot this pass rate as a trend point. */
  insufficient: boolean;
}

export interface LatencySummary {
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface WindowRollup {
  traceCount: number;
  /** Traces with a final verdict of pass or fail. */
  gradedCount: number;
  passCount: number;
  failCount: number;
  /** Traces with no pass or fail but at least one grader error (retry candidates). */
  errorCount: number;
  /** Traces no grader passed, failed or errored on (all skipped, or none applied). */
  skippedCount: number;
  passRate: number | null;
  passRateCI: Interval | null;
  /**
   * `gradedCount < minGraded`. The pass rate and its (wide) interval are still
   * reported, so nothing is hidden and later windows can be pooled; charts
   * must draw such a window as "too few graded traces", not as a trend point.
   */
  insufficient: boolean;
  perGraderVersion: GraderVersionSummary[];
  latencyMs: LatencySummary;
}

export interface SummariseOptions {
  /** Fewest graded traces for a pass rate worth plotting. */
  minGraded: number;
  /** Final verdicts decided elsewhere (review policy, human verdicts); traces not named here use {@link finalVerdict}. */
  finalVerdicts?: ReadonlyMap<string, FinalVerdict>;
}

type ScoresByTrace = ReadonlyMap<string, readonly ScoreResult[]> | Readonly<Record<string, readonly ScoreResult[]>>;

function newBucket(graderId: string, graderVersion: number) {
  return {
    graderId,
    graderVersion,
    count: 0,
    pass: 0,
    fail: 0,
    error: 0,
    skipped: 0,
    histogram: new Array<number>(HISTOGRAM_BINS).fill(0),
    scoreSum: 0,
    scored: 0,
  };
}

/** Histogram bin of a score in [0, 1]; a perfect 1 belongs to the top bin. */
export function histogramBin(score: number): number {
  return Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(score * HISTOGRAM_BINS)));
}

/** Rolls a grade window's scores and trace latencies up into one summary. */
export function summariseWindow(
  scoresByTrace: ScoresByTrace,
  latencies: readonly number[],
  opts: SummariseOptions,
): WindowRollup {
  const traces: Iterable<[string, readonly ScoreResult[]]> =
    scoresByTrace instanceof Map ? scoresByTrace.entries() : Object.entries(scoresByTrace);
  const buckets = new Map<string, ReturnType<typeof newBucket>>();
  let traceCount = 0;
  let passCount = 0;
  let failCount = 0;
  let errorCount = 0;
  for (const [traceId, scores] of traces) {
    traceCount++;
    const verdict = opts.finalVerdicts?.get(traceId) ?? finalVerdict(scores);
    if (verdict === "pass") passCount++;
    else if (verdict === "fail") failCount++;
    else if (scores.some((s) => s.verdict === "error")) errorCount++;
    for (const score of scores) {
      const key = `${score.graderId}\u0000${score.graderVersion}`;
      let bucket = buckets.get(key);
      if (!bucket) buckets.set(key, (bucket = newBucket(score.graderId, score.graderVersion)));
      bucket.count++;
      bucket[score.verdict]++;
      if (score.score !== null && Number.isFinite(score.score)) {
        bucket.histogram[histogramBin(score.score)]!++;
        bucket.scoreSum += score.score;
        bucket.scored++;
      }
    }
  }
  const gradedCount = passCount + failCount;
  const perGraderVersion = [...buckets.values()]
    .sort((a, b) => (a.graderId < b.graderId ? -1 : a.graderId > b.graderId ? 1 : a.graderVersion - b.graderVersion))
    .map((b): GraderVersionSummary => {
      const decided = b.pass + b.fail;
      return {
        graderId: b.graderId,
        graderVersion: b.graderVersion,
        count: b.count,
        pass: b.pass,
        fail: b.fail,
        error: b.error,
        skipped: b.skipped,
        passRate: decided === 0 ? null : b.pass / decided,
        ci: decided === 0 ? null : wilsonInterval(b.pass, decided),
        scoreHistogram: b.histogram,
        meanScore: b.scored === 0 ? null : b.scoreSum / b.scored,
        insufficient: decided < opts.minGraded,
      };
    });
  return {
    traceCount,
    gradedCount,
    passCount,
    failCount,
    errorCount,
    skippedCount: traceCount - gradedCount - errorCount,
    passRate: gradedCount === 0 ? null : passCount / gradedCount,
    passRateCI: gradedCount === 0 ? null : wilsonInterval(passCount, gradedCount),
    insufficient: gradedCount < opts.minGraded,
    perGraderVersion,
    latencyMs: summariseLatencies(latencies),
  };
}

/** p50/p90/p95/p99/max of latencies in any order; non-finite values are ignored. */
export function summariseLatencies(latencies: readonly number[]): LatencySummary {
  const sorted = latencies.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
  };
}
