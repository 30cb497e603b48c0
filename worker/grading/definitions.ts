/**
 * @module The grader definition union (`kind`: rule | metric | judge), a grader version,
 * and the score a grader gives one trace. Scores always carry the grader id and
 * version, so statistics never mix versions.
 */
import { z } from "@hono/zod-openapi";
import { judgeGraderSchema } from "../judge/judge-definition";
import { metricGraderSchema } from "./metric-definitions";
import { ruleGraderSchema } from "./rule-definitions";

export const graderDefinitionSchema = z
  .discriminatedUnion("kind", [ruleGraderSchema, metricGraderSchema, judgeGraderSchema], {
    error: (issue) => (issue.code === "invalid_union" ? "`kind` must be `rule`, `metric` or `judge`" : undefined),
  })
  .openapi("GraderDefinition");

/** A definition as stored and as graders see it: defaults filled in. */
export type GraderDefinition = z.output<typeof graderDefinitionSchema>;
/** A definition as written in a request: defaults may be left out. */
export type GraderDefinitionInput = z.input<typeof graderDefinitionSchema>;

/** One immutable version of a grader. Editing a grader makes a new version. */
export interface GraderVersion {
  graderId: string;
  version: number;
  name: string;
  definition: GraderDefinitionInput;
}

export const VERDICTS = ["pass", "fail", "skipped", "error"] as const;
export type Verdict = (typeof VERDICTS)[number];

export const scoreResultSchema = z
  .object({
    graderId: z.string(),
    graderVersion: z.number().int(),
    verdict: z.enum(VERDICTS).openapi({
      description: "`skipped`: the grader had nothing to judge (e.g. no reference). `error`: the grader itself failed.",
    }),
    score: z.number().min(0).max(1).nullable().openapi({ description: "In [0, 1]; null when skipped or errored." }),
    reason: z.string().openapi({ example: "tool `refund` was never called" }),
  })
  .openapi("ScoreResult");

export type ScoreResult = z.output<typeof scoreResultSchema>;

/** Options of one grading call. */
export interface GradeOptions {
  /** The expected answer (an eval run passes the dataset case's); overrides `referencePath`. */
  reference?: unknown;
}
