/**
 * @module An agent's grade window settings: the window policy (N traces, T max age),
 * the sampling rate and the fewest graded traces for a pass rate to count. Unset
 * values fall back to the WINDOW_* configuration.
 */
import { z } from "@hono/zod-openapi";
import type { Config } from "../config";
import { type WindowPolicy, windowPolicySchema } from "./window-policy";

/** Largest window: its member list is kept in one D1 row and one Durable Object batch. */
export const MAX_WINDOW_TRACES = 5_000;

export const windowSettingsInputSchema = z
  .strictObject({
    maxTraces: z
      .number()
      .int()
      .min(1, "must be at least 1")
      .max(MAX_WINDOW_TRACES, `must be at most ${MAX_WINDOW_TRACES}`)
      .optional()
      .openapi({ description: "Grade the window once it holds this many traces (default WINDOW_MAX_TRACES)." }),
    maxAgeMs: z
      .number()
      .int()
      .min(1_000, "must be at least 1000 ms")
      .max(7 * 86_400_000, "must be at most 7 days")
      .optional()
      .openapi({
        description: "Grade the window once its oldest trace is this old, in ms (default WINDOW_MAX_AGE_MS).",
      }),
    sampleRate: z
      .number()
      .min(0, "must be between 0 and 1")
      .max(1, "must be between 0 and 1")
      .optional()
      .openapi({ description: "Share of finished traces graded, chosen by a hash of the trace id (default 1: all)." }),
    minGraded: z.number().int().min(0, "must not be negative").max(100_000).optional().openapi({
      description: "Fewest pass/fail traces for a window's pass rate to count (default WINDOW_MIN_GRADED).",
    }),
  })
  .openapi("WindowSettingsInput", { description: "Fields left out use the server's defaults." });

export type WindowSettingsInput = z.output<typeof windowSettingsInputSchema>;

export interface WindowSettings {
  maxTraces: number;
  maxAgeMs: number;
  sampleRate: number;
  minGraded: number;
}

export function resolveWindowSettings(input: WindowSettingsInput | null, config: Config): WindowSettings {
  return {
    maxTraces: input?.maxTraces ?? Math.min(config.WINDOW_MAX_TRACES, MAX_WINDOW_TRACES),
    maxAgeMs: input?.maxAgeMs ?? config.WINDOW_MAX_AGE_MS,
    sampleRate: input?.sampleRate ?? 1,
    minGraded: input?.minGraded ?? config.WINDOW_MIN_GRADED,
  };
}

/** The part the pure window policy reads, checked by its own schema. */
export function policyOf(settings: WindowSettings): WindowPolicy {
  return windowPolicySchema.parse({ maxTraces: settings.maxTraces, maxAgeMs: settings.maxAgeMs });
}
