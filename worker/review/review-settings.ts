/**
 * @module Per-agent review settings: the final verdict policy, the share of graded traces
 * sampled into the review queue, and judge calibration. Values left out fall back to the
 * server's configuration, so an agent nobody configured behaves as documented defaults.
 */
import { z } from "@hono/zod-openapi";
import type { Config } from "../config";

export const FINAL_VERDICT_POLICIES = ["any_fail", "majority", "human_overrides"] as const;
export type FinalVerdictPolicy = (typeof FINAL_VERDICT_POLICIES)[number];

export const reviewSettingsInputSchema = z
  .strictObject({
    policy: z.enum(FINAL_VERDICT_POLICIES).optional().openapi({
      description:
        "`human_overrides` (default): a human verdict decides; without one, any counting fail fails the trace. `any_fail`: any counting fail (human or grader) fails it. `majority`: more fails than passes fails it (a tie fails).",
    }),
    reviewSampleRate: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .openapi({ description: "Share of graded traces queued for review, to measure judges against humans." }),
    calibration: z
      .strictObject({
        enabled: z.boolean().optional(),
        minVerdicts: z.number().int().min(1).max(100_000).optional(),
        kappaThreshold: z.number().min(-1).max(1).optional(),
      })
      .optional()
      .openapi({
        description:
          "When enabled, a judge version is `uncalibrated` until at least `minVerdicts` human verdicts agree with it at Cohen's kappa >= `kappaThreshold`; an uncalibrated judge's failures show but do not fail a trace on their own.",
      }),
  })
  .openapi("ReviewSettingsInput");

export type ReviewSettingsInput = z.output<typeof reviewSettingsInputSchema>;

export interface ReviewSettings {
  policy: FinalVerdictPolicy;
  reviewSampleRate: number;
  calibration: { enabled: boolean; minVerdicts: number; kappaThreshold: number };
}

export function resolveReviewSettings(input: ReviewSettingsInput | null, config: Config): ReviewSettings {
  return {
    policy: input?.policy ?? config.FINAL_VERDICT_POLICY,
    reviewSampleRate: input?.reviewSampleRate ?? config.REVIEW_SAMPLE_RATE,
    calibration: {
      enabled: input?.calibration?.enabled ?? config.CALIBRATION_ENABLED === "1",
      minVerdicts: input?.calibration?.minVerdicts ?? config.CALIBRATION_MIN_VERDICTS,
      kappaThreshold: input?.calibration?.kappaThreshold ?? config.CALIBRATION_KAPPA_THRESHOLD,
    },
  };
}
