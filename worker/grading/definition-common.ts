/**
 * @module Pieces every grader definition shares: dotted paths into the trace,
 * the `target` a grader reads, and the `filter` scoping which traces it grades.
 */
import { z } from "@hono/zod-openapi";

const PATH_PATTERN = /^[A-Za-z0-9_$@:-]+(\.[A-Za-z0-9_$@:-]+)*$/;

/** A dotted path such as `output`, `metadata.expected.answer` or `spans.0.output`. */
export const pathSchema = z
  .string()
  .max(200, "must be at most 200 characters")
  .regex(
    PATH_PATTERN,
    "must be a dotted path of letters, digits, _ $ @ : - such as `output` or `metadata.expected.answer`",
  );

/** Which value of the trace a text or metric grader reads. */
export const targetSchema = pathSchema.default("output").openapi({
  description:
    "Dotted path into the trace of the value to check: `output` (default), `input`, or e.g. `output.answer`, `metadata.summary`, `spans.0.output`. Non-string values are checked as their JSON text.",
  example: "output",
});

/** A text a check looks for; bounded so a definition stays a definition. */
export const needleSchema = z.string().min(1, "must not be empty").max(10_000, "must be at most 10000 characters");

export const toolNameSchema = z.string().min(1, "must name a tool").max(200, "must be at most 200 characters");

/**
 * Every condition given must hold (AND). A trace the filter does not match is
 * not graded by this grader at all: no score, rather than a skip.
 */
export const graderFilterSchema = z
  .strictObject({
    versionEquals: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: "Only traces of this agent version.", example: "prompt-v3" }),
    versionIn: z
      .array(z.string().max(200))
      .min(1, "must list at least one version")
      .max(100)
      .optional()
      .openapi({ description: "Only traces whose agent version is one of these." }),
    hasTag: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Only traces carrying this tag.", example: "beta" }),
    metadataEquals: z
      .strictObject({
        path: pathSchema.openapi({ description: "Dotted path inside the trace's `metadata`.", example: "plan" }),
        value: z.unknown().openapi({ description: "The JSON value it must equal.", example: "enterprise" }),
      })
      .optional(),
  })
  .openapi("GraderFilter", { description: "Which traces this grader applies to; all given conditions must hold." });

export type GraderFilter = z.output<typeof graderFilterSchema>;

export const filterField = { filter: graderFilterSchema.optional() };

/** Metric graders compare against a reference found at this path unless one is passed in. */
export const referencePathSchema = pathSchema.default("metadata.reference").openapi({
  description:
    "Dotted path into the trace where the reference answer lives (default `metadata.reference`). An eval run passes the dataset case's reference explicitly instead. Traces without a reference are skipped.",
  example: "metadata.expected.answer",
});
