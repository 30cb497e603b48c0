/**
 * @module Zod schemas of metric graders: comparisons with a reference answer,
 * and the window-level latency percentile, discriminated by `metric`.
 */
import { z } from "@hono/zod-openapi";
import { filterField, referencePathSchema, targetSchema } from "./definition-common";
import { SIMILARITY_ALGORITHMS } from "./similarity";

const referenceFields = {
  kind: z.literal("metric"),
  target: targetSchema,
  referencePath: referencePathSchema,
  ...filterField,
};

export const exactMatchMetricSchema = z
  .strictObject({
    metric: z.literal("exact_match"),
    coerce: z.boolean().default(false).openapi({
      description:
        'Compare as text instead of as typed JSON: the output `"42"` then equals the reference `42`. Default false: types must match.',
    }),
    ...referenceFields,
  })
  .openapi("ExactMatchMetric", {
    description:
      'Score 1 when the target equals the reference as a typed JSON value (`"42"` is not `42`; object key order does not matter), else 0.',
  });

export const normalizedMatchMetricSchema = z
  .strictObject({
    metric: z.literal("normalized_match"),
    trim: z.boolean().default(true).openapi({
      description: 'Ignore leading and trailing whitespace: `" billing\\n"` matches `billing`. Default true.',
    }),
    caseSensitive: z
      .boolean()
      .default(false)
      .openapi({ description: "Letter case counts: `Billing` then does not match `billing`. Default false." }),
    collapseWhitespace: z.boolean().default(true).openapi({
      description:
        "Runs of whitespace (spaces, tabs, line breaks) count as one space: `new  york` matches `new york`. Default true.",
    }),
    stripPunctuation: z.boolean().default(false).openapi({
      description:
        'Ignore punctuation and symbols: `billing.` and `"billing"` then match `billing`. Default false, because for labels and ids punctuation is part of the value.',
    }),
    ...referenceFields,
  })
  .openapi("NormalizedMatchMetric", {
    description:
      "Score 1 when target and reference are equal after the chosen normalisation (Unicode NFKC always; by default trimmed, case-insensitive, whitespace runs collapsed, punctuation kept), else 0.",
  });

export const similarityMetricSchema = z
  .strictObject({
    metric: z.literal("similarity"),
    algorithm: z.enum(SIMILARITY_ALGORITHMS).default("token_f1").openapi({
      description: "`token_f1`: word overlap (order-free). `levenshtein`: 1 - edit distance / longer length.",
    }),
    threshold: z
      .number()
      .min(0, "must be between 0 and 1")
      .max(1, "must be between 0 and 1")
      .default(0.8)
      .openapi({ description: "Passes when the similarity is at least this." }),
    normalize: z
      .boolean()
      .default(true)
      .openapi({ description: "Levenshtein only: compare case-, whitespace- and punctuation-normalised text." }),
    ...referenceFields,
  })
  .openapi("SimilarityMetric", { description: "Score = similarity of target and reference in [0, 1]." });

export const latencyPercentileMetricSchema = z
  .strictObject({
    kind: z.literal("metric"),
    metric: z.literal("latency_percentile"),
    percentile: z.number().gt(0, "must be more than 0").max(100, "must be at most 100").default(95),
    budgetMs: z.number().positive("must be more than 0"),
    minSamples: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(10)
      .openapi({ description: "Windows with fewer timed traces are skipped: a p95 of three values says little." }),
    ...filterField,
  })
  .openapi("LatencyPercentileMetric", {
    description:
      "Window-level: one score per grade window, not per trace. Passes when the window's pXX trace latency is within `budgetMs`; score = min(1, budgetMs / pXX).",
  });

const METRICS = ["exact_match", "normalized_match", "similarity", "latency_percentile"] as const;

export const metricGraderSchema = z
  .discriminatedUnion(
    "metric",
    [exactMatchMetricSchema, normalizedMatchMetricSchema, similarityMetricSchema, latencyPercentileMetricSchema],
    {
      error: (issue) =>
        issue.code === "invalid_union" ? `\`metric\` must be one of ${METRICS.join(", ")}` : undefined,
    },
  )
  .openapi("MetricGrader");

export type MetricDefinition = z.output<typeof metricGraderSchema>;
export type MetricName = MetricDefinition["metric"];
