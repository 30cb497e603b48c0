/**
 * @module Runs graders on traces. A grader version is compiled once (schema
 * defaults applied, regexes and JSON Schemas built) and cached on the
 * `GraderVersion` object; grading never throws: a grader that breaks yields
 * an `error` score with the message, so one bad grader cannot sink a window.
 */
import type { z } from "@hono/zod-openapi";
import type { Trace } from "../domain/trace";
import { graderDefinitionSchema, type GradeOptions, type GraderVersion, type ScoreResult } from "./definitions";
import { compileFilter, type TraceFilter } from "./filter";
import { compileLatencyPercentile, compileReferenceMetric, type WindowEvaluator } from "./metrics";
import { type Outcome, skipped } from "./outcome";
import { compileRule } from "./rules";
import type { TraceEvaluator } from "./text-rules";
import { TraceView } from "./trace-view";

/** A grader version ready to run. Trace-level graders score each trace, window-level ones a whole window. */
export type CompiledGrader = {
  readonly graderId: string;
  readonly version: number;
  readonly appliesTo: TraceFilter;
} & (
  | { readonly level: "trace"; readonly evaluate: TraceEvaluator }
  | { readonly level: "window"; readonly evaluate: WindowEvaluator }
);

/**
 * Keyed by the `GraderVersion` object: versions are immutable, so whoever
 * loads a version once and reuses it compiles it once; a fresh object (say,
 * re-read from D1 for the next window) compiles again, which is cheap.
 */
const compiled = new WeakMap<GraderVersion, CompiledGrader>();

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

function build(grader: GraderVersion): CompiledGrader {
  const base = { graderId: grader.graderId, version: grader.version };
  const parsed = graderDefinitionSchema.safeParse(grader.definition);
  if (!parsed.success) {
    const message = `invalid grader definition: ${describeIssues(parsed.error)}`;
    return {
      ...base,
      appliesTo: () => true,
      level: "trace",
      evaluate: () => {
        throw new Error(message);
      },
    };
  }
  const definition = parsed.data;
  const appliesTo = compileFilter(definition.filter);
  if (definition.kind === "judge") {
    // A judge is asynchronous I/O: the window's judge runner scores it, not this synchronous path.
    return {
      ...base,
      appliesTo,
      level: "trace",
      evaluate: () => skipped("an LLM judge is scored by the judge runner"),
    };
  }
  if (definition.kind === "rule") return { ...base, appliesTo, level: "trace", evaluate: compileRule(definition) };
  if (definition.metric === "latency_percentile") {
    return { ...base, appliesTo, level: "window", evaluate: compileLatencyPercentile(definition) };
  }
  return { ...base, appliesTo, level: "trace", evaluate: compileReferenceMetric(definition) };
}

/** The compiled form of a grader version (cached; never throws). */
export function compileGrader(grader: GraderVersion): CompiledGrader {
  let result = compiled.get(grader);
  if (!result) {
    try {
      result = build(grader);
    } catch (err) {
      const message = `grader could not be compiled: ${errorMessage(err)}`;
      result = {
        graderId: grader.graderId,
        version: grader.version,
        appliesTo: () => true,
        level: "trace",
        evaluate: () => {
          throw new Error(message);
        },
      };
    }
    compiled.set(grader, result);
  }
  return result;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function toScore(grader: CompiledGrader, run: () => Outcome): ScoreResult {
  const base = { graderId: grader.graderId, graderVersion: grader.version };
  try {
    const { verdict, score, reason } = run();
    if (score !== null && !(score >= 0 && score <= 1)) {
      return { ...base, verdict: "error", score: null, reason: `grader produced score ${score}, outside [0, 1]` };
    }
    return { ...base, verdict, score, reason };
  } catch (err) {
    return { ...base, verdict: "error", score: null, reason: errorMessage(err) };
  }
}

function gradeView(grader: CompiledGrader, view: TraceView): ScoreResult {
  if (grader.level === "window") {
    return toScore(grader, () => ({
      verdict: "skipped",
      score: null,
      reason: "a window-level grader scores whole windows (see gradeWindow), not single traces",
    }));
  }
  const evaluate = grader.evaluate;
  return toScore(grader, () => evaluate(view));
}

/**
 * One grader's score for one trace. A trace outside the grader's filter is
 * `skipped` here; {@link gradeTrace} leaves such graders out instead.
 */
export function grade(trace: Trace, grader: GraderVersion, options: GradeOptions = {}): ScoreResult {
  const compiledGrader = compileGrader(grader);
  if (!safeApplies(compiledGrader, trace)) {
    return {
      graderId: grader.graderId,
      graderVersion: grader.version,
      verdict: "skipped",
      score: null,
      reason: "the grader's filter does not match this trace",
    };
  }
  return gradeView(compiledGrader, new TraceView(trace, options.reference));
}

function safeApplies(grader: CompiledGrader, trace: Trace): boolean {
  try {
    return grader.appliesTo(trace);
  } catch {
    // Let the grader run and report its own error rather than vanish silently.
    return true;
  }
}

/**
 * Scores of every trace-level grader whose filter matches the trace, in the
 * order given. Window-level graders are not included: see {@link gradeWindow}.
 */
export function gradeTrace(trace: Trace, graders: readonly GraderVersion[], options: GradeOptions = {}): ScoreResult[] {
  const view = new TraceView(trace, options.reference);
  const scores: ScoreResult[] = [];
  for (const grader of graders) {
    const compiledGrader = compileGrader(grader);
    if (compiledGrader.level === "window" || !safeApplies(compiledGrader, trace)) continue;
    scores.push(gradeView(compiledGrader, view));
  }
  return scores;
}

/**
 * One score per window-level grader (e.g. `latency_percentile`) for a whole
 * grade window, computed over the window's traces that match its filter.
 * These scores belong to the window, not to a trace.
 */
export function gradeWindow(traces: readonly Trace[], graders: readonly GraderVersion[]): ScoreResult[] {
  const scores: ScoreResult[] = [];
  for (const grader of graders) {
    const compiledGrader = compileGrader(grader);
    if (compiledGrader.level !== "window") continue;
    const evaluate = compiledGrader.evaluate;
    scores.push(toScore(compiledGrader, () => evaluate(traces.filter((trace) => safeApplies(compiledGrader, trace)))));
  }
  return scores;
}

/** Whether the grader scores whole windows rather than single traces. */
export function isWindowLevel(grader: GraderVersion): boolean {
  return compileGrader(grader).level === "window";
}
