/**
 * @module Metric graders. Reference metrics (exact, normalised, similarity)
 * score one trace against a reference answer; `latency_percentile` scores a
 * whole grade window, because a percentile of one trace means nothing.
 */
import type { Trace } from "../domain/trace";
import type { MetricDefinition } from "./metric-definitions";
import { failed, passed, skipped, type Outcome } from "./outcome";
import { similarity } from "./similarity";
import { percentile } from "./statistics";
import { canonicalJson, describeValue, excerpt, jsonEquals } from "./text";
import { describeNormalization, normalizationOf, normalizeWith } from "./normalize";
import type { TraceEvaluator } from "./text-rules";
import { latencyOfTrace } from "./trace-facts";
import type { TraceView } from "./trace-view";

type MetricOf<M extends MetricDefinition["metric"]> = Extract<MetricDefinition, { metric: M }>;
export type WindowEvaluator = (traces: readonly Trace[]) => Outcome;

/**
 * The text a value is compared as: strings verbatim, anything else as
 * canonical JSON (so `{"a":1,"b":2}` equals `{"b":2,"a":1}`, and the output
 * text "42" equals a numeric reference 42).
 */
export function comparableText(value: unknown): string {
  return typeof value === "string" ? value : canonicalJson(value);
}

/** The reference for this trace, or `undefined` when there is none (→ skipped). */
function referenceOf(view: TraceView, referencePath: string): unknown {
  const reference = view.reference !== undefined ? view.reference : view.value(referencePath);
  return reference === null ? undefined : reference;
}

const noReference = (path: string) => `no reference: \`${path}\` is empty and none was given`;

const jsonType = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "object" ? "object" : typeof value;

function withReference(
  rule: { target: string; referencePath: string },
  compare: (candidate: string, reference: string) => Outcome,
): TraceEvaluator {
  return (view) => {
    const reference = referenceOf(view, rule.referencePath);
    if (reference === undefined) return skipped(noReference(rule.referencePath));
    return compare(comparableText(view.value(rule.target) ?? ""), comparableText(reference));
  };
}

export function compileReferenceMetric(
  metric: Exclude<MetricDefinition, MetricOf<"latency_percentile">>,
): TraceEvaluator {
  const { target } = metric;
  switch (metric.metric) {
    case "exact_match": {
      if (metric.coerce) {
        return withReference(metric, (candidate, reference) =>
          candidate === reference
            ? passed(`${target} equals the reference as text`)
            : failed(`${target} \`${excerpt(candidate)}\` differs from the reference \`${excerpt(reference)}\``),
        );
      }
      return (view) => {
        const reference = referenceOf(view, metric.referencePath);
        if (reference === undefined) return skipped(noReference(metric.referencePath));
        const value = view.value(target);
        if (jsonEquals(value, reference)) return passed(`${target} equals the reference`);
        const typeNote =
          value !== undefined && comparableText(value) === comparableText(reference)
            ? ` (${jsonType(value)} versus ${jsonType(reference)}; set \`coerce\` to compare as text)`
            : "";
        return failed(
          `${target} \`${excerpt(describeValue(value))}\` differs from the reference \`${excerpt(describeValue(reference))}\`${typeNote}`,
        );
      };
    }
    case "normalized_match": {
      const options = normalizationOf(metric);
      const how = describeNormalization(options);
      return withReference(metric, (candidate, reference) =>
        normalizeWith(candidate, options) === normalizeWith(reference, options)
          ? passed(`${target} matches the reference (${how})`)
          : failed(
              `${target} \`${excerpt(candidate)}\` does not match the reference \`${excerpt(reference)}\` (${how})`,
            ),
      );
    }
    case "similarity": {
      const { algorithm, threshold, normalize } = metric;
      return withReference(metric, (candidate, reference) => {
        const score = similarity(algorithm, candidate, reference, normalize);
        const shown = `${algorithm} similarity ${score.toFixed(3)}`;
        return score >= threshold
          ? passed(`${shown} reaches the threshold ${threshold}`, score)
          : failed(`${shown} is below the threshold ${threshold}`, score);
      });
    }
  }
}

export function compileLatencyPercentile(metric: MetricOf<"latency_percentile">): WindowEvaluator {
  const { percentile: p, budgetMs, minSamples } = metric;
  return (traces) => {
    const latencies: number[] = [];
    for (const trace of traces) {
      const latency = latencyOfTrace(trace);
      if (latency !== null) latencies.push(latency);
    }
    if (latencies.length < minSamples) {
      return skipped(
        `only ${latencies.length} of ${traces.length} traces have a latency; p${p} needs at least ${minSamples}`,
      );
    }
    latencies.sort((a, b) => a - b);
    const observed = percentile(latencies, p)!;
    const shown = `p${p} latency ${Math.round(observed)} ms over ${latencies.length} traces`;
    return observed <= budgetMs
      ? passed(`${shown} is within budget ${budgetMs} ms`)
      : failed(`${shown} exceeds budget ${budgetMs} ms`, budgetMs / observed);
  };
}
