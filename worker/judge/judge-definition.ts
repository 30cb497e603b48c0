/**
 * @module The `judge` grader kind: an LLM judges one trace against a rubric through an
 * OpenAI-compatible chat-completions endpoint. Only the definition lives here (it is
 * validated with the other grader kinds); prompts, parsing and the HTTP client are
 * their own modules.
 */
import { z } from "@hono/zod-openapi";
import { filterField, pathSchema } from "../grading/definition-common";

export const JUDGE_VIEWS = ["input", "output", "tool_calls", "retrieved_context"] as const;
export type JudgeView = (typeof JUDGE_VIEWS)[number];

const scaleSchema = z
  .strictObject({
    min: z.number().int().default(1),
    max: z.number().int().default(5),
    passThreshold: z.number().openapi({ description: "A score at or above this passes.", example: 4 }),
  })
  .refine((s) => s.max > s.min, { message: "`max` must be greater than `min`" })
  .refine((s) => s.passThreshold >= s.min && s.passThreshold <= s.max, {
    message: "`passThreshold` must lie between `min` and `max`",
  })
  .openapi("JudgeScale", { description: "A numeric scale; left out, the judge answers pass or fail." });

export const judgeRubricSchema = z
  .strictObject({
    criteria: z
      .string()
      .min(1, "must say what the judge checks")
      .max(20_000, "must be at most 20000 characters")
      .openapi({ example: "The answer states the order's shipping state and does not invent tracking numbers." }),
    scale: scaleSchema.optional(),
    referencePath: pathSchema.optional().openapi({
      description:
        "Dotted path into the trace of a reference answer shown to the judge (e.g. `metadata.reference`); an eval run passes the dataset case's reference instead.",
    }),
  })
  .openapi("JudgeRubric");

export const judgeGraderSchema = z
  .strictObject({
    kind: z.literal("judge"),
    rubric: judgeRubricSchema,
    model: z.string().min(1).max(200).optional().openapi({ description: "Defaults to JUDGE_MODEL." }),
    baseUrl: z
      .url("must be an http(s) URL such as https://api.openai.com/v1")
      .max(500)
      .optional()
      .openapi({ description: "OpenAI-compatible base URL (…/v1); defaults to JUDGE_BASE_URL." }),
    temperature: z.number().min(0).max(2).default(0),
    samples: z
      .number()
      .int()
      .min(1)
      .max(9, "must be at most 9")
      .default(1)
      .openapi({ description: "Independent answers per trace; a split between them marks the judge unstable." }),
    sees: z
      .array(z.enum(JUDGE_VIEWS))
      .min(1, "must show the judge at least one part of the trace")
      .default(["input", "output"])
      .openapi({ description: "Which parts of the trace the judge sees." }),
    maxPromptChars: z
      .number()
      .int()
      .min(500)
      .max(200_000)
      .default(12_000)
      .openapi({ description: "Longer trace parts are cut, visibly marked as truncated, to stay under this size." }),
    cascade: z.boolean().default(false).openapi({
      description:
        "Judge only traces that pass the agent's rule graders: a rule failure already fails the trace, so the judge call is saved.",
    }),
    pricing: z
      .strictObject({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) })
      .optional()
      .openapi({ description: "Price per million tokens, to report cost; left out, cost is null." }),
    ...filterField,
  })
  .openapi("JudgeGrader", {
    description:
      "An LLM judge. The API key is the JUDGE_API_KEY secret; it is never stored with the grader nor returned.",
  });

export type JudgeDefinition = z.output<typeof judgeGraderSchema>;
