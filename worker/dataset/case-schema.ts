/**
 * @module Zod schemas of regression-dataset cases: what the API accepts to add, edit and
 * import cases, and the case as it is read and exported.
 */
import { z } from "@hono/zod-openapi";
import { TRACE_ID_PATTERN } from "../domain/trace";

/** The tag that marks a guard case: a passing trace kept so a fix cannot silently break it. */
export const GUARD_TAG = "guard";

/** Case ids appear in URLs and export files, so they follow the trace id rules. */
export const caseIdSchema = z
  .string()
  .regex(TRACE_ID_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -")
  .openapi({ example: "case-7f3a" });

const traceIdSchema = z
  .string()
  .regex(TRACE_ID_PATTERN, "must be a trace id (1-128 characters of A-Z a-z 0-9 . _ : @ -)");

const tagSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  // Tags are shown in CSV exports and filters; control characters would corrupt both.
  .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters");

/** `z.unknown()` with a clear message when the key is missing (JSON has no undefined). */
const requiredJson = (example: unknown) =>
  z
    .unknown()
    .refine((value) => value !== undefined, "is required")
    .openapi({ description: "Any JSON value", example });

/**
 * A grader version, as a number. Text of digits is accepted too, because cases exported
 * before versions were numbers wrote them as text; they import unchanged.
 */
const graderVersionSchema = z
  .union([z.number().int().min(1), z.string().regex(/^[1-9]\d{0,8}$/, "must be a whole number of 1 or more")])
  .transform(Number)
  .openapi({ type: "integer", example: 3 });

/** One failing grader of a trace: which version of which grader said what. */
export const graderFailureSchema = z
  .strictObject({
    graderId: z.string().min(1).max(200),
    graderVersion: graderVersionSchema,
    name: z.string().max(200).optional().openapi({ description: "The grader's name at that version." }),
    reason: z.string().max(10_000),
  })
  .openapi("GraderFailure");
export type GraderFailure = z.output<typeof graderFailureSchema>;

/**
 * The grader verdict that put a case into the dataset: the first failing grader at the
 * top (what CSV exports show), and under `failures` every grader that failed the trace.
 */
export const caseFailureSchema = z
  .strictObject({
    ...graderFailureSchema.shape,
    failures: z
      .array(graderFailureSchema)
      .max(100)
      .optional()
      .openapi({ description: "Every grader that failed the source trace, in grader order." }),
  })
  .openapi("CaseFailure");
export type CaseFailure = z.output<typeof caseFailureSchema>;

const caseFields = {
  input: requiredJson("Where is my order?"),
  expected: z.unknown().optional().openapi({
    description: "Expected behaviour or reference output; null or absent when unknown.",
    example: "Your order A17 shipped yesterday.",
  }),
  failure: caseFailureSchema.nullish(),
  tags: z.array(tagSchema).max(50, "must hold at most 50 tags").optional(),
  sourceTraceId: traceIdSchema.nullish().openapi({ example: "run-42" }),
  guard: z
    .boolean()
    .optional()
    .openapi({
      description: `Shorthand for the '${GUARD_TAG}' tag: true adds it. Read back as whether the tag is present.`,
    }),
};

/** `guard: false` next to a `guard` tag is a contradiction, not something to guess about. */
function checkGuardAgreesWithTags(value: { guard?: boolean; tags?: string[] }, ctx: z.RefinementCtx): void {
  if (value.guard === false && value.tags?.some((tag) => tag.trim() === GUARD_TAG)) {
    ctx.addIssue({ code: "custom", path: ["guard"], message: `is false but tags contain '${GUARD_TAG}'` });
  }
}

/** One case to add or import. `id` is optional: absent means a new id is generated. */
export const caseInputSchema = z
  .strictObject({ id: caseIdSchema.optional(), ...caseFields })
  .superRefine(checkGuardAgreesWithTags)
  .openapi("CaseInput");
export type CaseInput = z.output<typeof caseInputSchema>;

/**
 * One line of a JSONL import: a case input that may also carry the read-only fields an
 * export writes (`fingerprint`), so an exported file imports unchanged. The fingerprint
 * is recomputed from `input`, never trusted.
 */
export const caseImportLineSchema = z
  .strictObject({ id: caseIdSchema.optional(), ...caseFields, fingerprint: z.string().optional() })
  .superRefine(checkGuardAgreesWithTags)
  .openapi("CaseImportLine");

/** A partial edit: only the given fields change; `expected: null` clears the expectation. */
export const caseEditSchema = z
  .strictObject({
    input: caseFields.input.optional(),
    expected: caseFields.expected,
    failure: caseFields.failure,
    tags: caseFields.tags,
    sourceTraceId: caseFields.sourceTraceId,
    guard: caseFields.guard,
  })
  .superRefine(checkGuardAgreesWithTags)
  .refine((edit) => Object.values(edit).some((value) => value !== undefined), "must change at least one field")
  .openapi("CaseEdit");
export type CaseEdit = z.output<typeof caseEditSchema>;

/** A case as stored in one dataset version, as the API returns it and JSONL exports it. */
export const caseSchema = z
  .object({
    id: caseIdSchema,
    input: z.unknown().openapi({ description: "Any JSON value" }),
    expected: z.unknown().openapi({ description: "Any JSON value, or null when unknown" }),
    failure: caseFailureSchema.nullable(),
    tags: z.array(z.string()),
    sourceTraceId: z.string().nullable(),
    guard: z.boolean(),
    fingerprint: z.string().openapi({ description: "SHA-256 hex of the normalised input; the dedup key" }),
  })
  .openapi("DatasetCase");

/** Occurrence statistics of a case's input. Not versioned: repeated failures update them in place. */
export const caseStatsSchema = z
  .object({
    occurrences: z.number().int().nonnegative(),
    lastTraceId: z.string().nullable(),
    lastSeenAt: z.string().nullable().openapi({ format: "date-time" }),
    lastFailure: z
      .object({
        traceId: z.string(),
        output: z.unknown().openapi({ description: "The output of the latest failing trace with this input." }),
        failures: z.array(graderFailureSchema),
      })
      .nullable()
      .openapi({
        description:
          "The latest failing occurrence of this input: its trace, its output and every grader that failed it, so the mistake is visible without opening the trace. Null before any failure was collected.",
      }),
  })
  .openapi("CaseStats");
