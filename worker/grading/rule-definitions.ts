/**
 * @module Zod schemas of rule graders: deterministic checks of one trace,
 * discriminated by `check`. They validate the grader API's request bodies, so
 * every message says what to fix.
 */
import { z } from "@hono/zod-openapi";
import { filterField, needleSchema, targetSchema, toolNameSchema } from "./definition-common";
import { jsonSchemaProblems } from "./json-schema";
import { regexProblem } from "./regex-safety";
import { argumentCheckSchema } from "./tool-arguments";

/** Longer texts are scanned only up to this many characters by default. */
export const DEFAULT_REGEX_MAX_INPUT_CHARS = 100_000;

const textTarget = { target: targetSchema, ...filterField };
const countSchema = z.number().int("must be a whole number").nonnegative("must not be negative").max(1_000_000);

const containsFields = {
  kind: z.literal("rule"),
  text: needleSchema,
  caseSensitive: z.boolean().default(true),
  ...textTarget,
};

export const containsRuleSchema = z
  .strictObject({ check: z.literal("contains"), ...containsFields })
  .openapi("ContainsRule", { description: "Passes when the target contains `text`." });

export const notContainsRuleSchema = z
  .strictObject({ check: z.literal("not_contains"), ...containsFields })
  .openapi("NotContainsRule", { description: "Passes when the target does not contain `text`." });

export const regexRuleSchema = z
  .strictObject({
    kind: z.literal("rule"),
    check: z.literal("regex"),
    pattern: z.string().min(1, "must not be empty"),
    flags: z.string().max(4).default(""),
    maxInputChars: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(DEFAULT_REGEX_MAX_INPUT_CHARS)
      .openapi({ description: "Only this many leading characters of the target are scanned, bounding CPU per trace." }),
    ...textTarget,
  })
  .superRefine((rule, ctx) => {
    const problem = regexProblem(rule.pattern, rule.flags);
    if (problem)
      ctx.addIssue({ code: "custom", path: [problem.startsWith("flag") ? "flags" : "pattern"], message: problem });
  })
  .openapi("RegexRule", { description: "Passes when the target matches the regular expression `pattern`." });

const codeFence = {
  allowCodeFence: z.boolean().default(false).openapi({
    description: "Accept JSON wrapped in a Markdown code fence (```json … ```), as chat models often answer.",
  }),
};

export const jsonValidRuleSchema = z
  .strictObject({ kind: z.literal("rule"), check: z.literal("json_valid"), ...codeFence, ...textTarget })
  .openapi("JsonValidRule", {
    description: "Passes when the target is JSON (a string that parses, or a structured value).",
  });

export const jsonSchemaRuleSchema = z
  .strictObject({
    kind: z.literal("rule"),
    check: z.literal("json_schema"),
    schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]).openapi({
      description:
        "A JSON Schema (draft 2020-12). Refused: keywords outside 2020-12, $ref/$dynamicRef that do not point into the schema itself, `items` as an array (use prefixItems), patterns that can backtrack catastrophically.",
      example: { type: "object", required: ["answer"], properties: { answer: { type: "string" } } },
    }),
    ...codeFence,
    ...textTarget,
  })
  .superRefine((rule, ctx) => {
    for (const problem of jsonSchemaProblems(rule.schema)) {
      ctx.addIssue({ code: "custom", path: ["schema"], message: `${problem.path}: ${problem.message}` });
    }
  })
  .openapi("JsonSchemaRule", { description: "Passes when the target is JSON that satisfies `schema`." });

export const toolCalledRuleSchema = z
  .strictObject({
    kind: z.literal("rule"),
    check: z.literal("tool_called"),
    tool: toolNameSchema,
    args: z
      .array(argumentCheckSchema)
      .max(20)
      .optional()
      .openapi({ description: "Conditions one call's arguments must all satisfy (AND)." }),
    calls: z.enum(["any", "every"]).default("any").openapi({
      description:
        "When the tool is called several times: `any` passes when at least one call meets every condition; `every` only when all calls do.",
    }),
    ...filterField,
  })
  .openapi("ToolCalledRule", {
    description: "Passes when a tool span named `tool` exists (with arguments satisfying `args`).",
  });

export const toolNotCalledRuleSchema = z
  .strictObject({ kind: z.literal("rule"), check: z.literal("tool_not_called"), tool: toolNameSchema, ...filterField })
  .openapi("ToolNotCalledRule", { description: "Passes when no tool span is named `tool`." });

export const maxToolCallsRuleSchema = z
  .strictObject({
    kind: z.literal("rule"),
    check: z.literal("max_tool_calls"),
    n: countSchema,
    tool: toolNameSchema.optional().openapi({ description: "Count only calls of this tool." }),
    ...filterField,
  })
  .openapi("MaxToolCallsRule", { description: "Passes when the trace has at most `n` tool spans." });

export const maxLlmCallsRuleSchema = z
  .strictObject({ kind: z.literal("rule"), check: z.literal("max_llm_calls"), n: countSchema, ...filterField })
  .openapi("MaxLlmCallsRule", { description: "Passes when the trace has at most `n` LLM spans." });

export const noErrorSpansRuleSchema = z
  .strictObject({
    kind: z.literal("rule"),
    check: z.literal("no_error_spans"),
    includeTraceStatus: z
      .boolean()
      .default(true)
      .openapi({ description: "Also fail when the trace itself has status `error`." }),
    ...filterField,
  })
  .openapi("NoErrorSpansRule", { description: "Passes when no span has status `error`." });

export const latencyBudgetRuleSchema = z
  .strictObject({
    kind: z.literal("rule"),
    check: z.literal("latency_budget"),
    ms: z.number().positive("must be more than 0").max(86_400_000),
    ...filterField,
  })
  .openapi("LatencyBudgetRule", { description: "Passes when the trace took at most `ms` milliseconds." });

export const tokenBudgetRuleSchema = z
  .strictObject({
    kind: z.literal("rule"),
    check: z.literal("token_budget"),
    total: countSchema.optional(),
    input: countSchema.optional(),
    output: countSchema.optional(),
    ...filterField,
  })
  .refine((rule) => rule.total !== undefined || rule.input !== undefined || rule.output !== undefined, {
    message: "give at least one of `total`, `input` or `output`",
  })
  .openapi("TokenBudgetRule", {
    description: "Passes when the LLM spans' summed token usage stays within every given budget.",
  });

export const costBudgetRuleSchema = z
  .strictObject({
    kind: z.literal("rule"),
    check: z.literal("cost_budget"),
    usd: z.number().nonnegative("must not be negative"),
    ...filterField,
  })
  .openapi("CostBudgetRule", { description: "Passes when the LLM spans' summed cost is at most `usd` US dollars." });

const RULE_CHECKS = [
  "contains",
  "not_contains",
  "regex",
  "json_valid",
  "json_schema",
  "tool_called",
  "tool_not_called",
  "max_tool_calls",
  "max_llm_calls",
  "no_error_spans",
  "latency_budget",
  "token_budget",
  "cost_budget",
] as const;

export const ruleGraderSchema = z
  .discriminatedUnion(
    "check",
    [
      containsRuleSchema,
      notContainsRuleSchema,
      regexRuleSchema,
      jsonValidRuleSchema,
      jsonSchemaRuleSchema,
      toolCalledRuleSchema,
      toolNotCalledRuleSchema,
      maxToolCallsRuleSchema,
      maxLlmCallsRuleSchema,
      noErrorSpansRuleSchema,
      latencyBudgetRuleSchema,
      tokenBudgetRuleSchema,
      costBudgetRuleSchema,
    ],
    {
      error: (issue) =>
        issue.code === "invalid_union" ? `\`check\` must be one of ${RULE_CHECKS.join(", ")}` : undefined,
    },
  )
  .openapi("RuleGrader");

export type RuleDefinition = z.output<typeof ruleGraderSchema>;
export type RuleCheck = RuleDefinition["check"];
