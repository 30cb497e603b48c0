/**
 * @module Reading a judge's answer. Endpoints that honour a JSON response format answer
 * with bare JSON; others wrap it in prose or a Markdown fence, so the first balanced JSON
 * object in the text is taken. The object is validated with zod; anything else is a
 * parse failure, never a pass or a fail.
 */
import { z } from "zod";
import type { JudgeDefinition } from "./judge-definition";

/** One sample of one judge on one trace. */
export interface JudgeSample {
  verdict: "pass" | "fail";
  /** In [0, 1]: 1/0 for pass/fail rubrics, the scale mapped linearly otherwise. */
  score: number;
  /** The judge's own number on a scale rubric, else null. */
  rawScore: number | null;
  reason: string;
}

export type ParsedAnswer = { ok: true; sample: JudgeSample } | { ok: false; error: string };

const passFailAnswer = z.object({
  verdict: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(["pass", "fail"])),
  reason: z.string().max(5_000).default(""),
});
const scaleAnswer = z.object({
  score: z.coerce.number().finite(),
  reason: z.string().max(5_000).default(""),
});

export function parseJudgeAnswer(def: Pick<JudgeDefinition, "rubric">, text: string): ParsedAnswer {
  const value = extractJsonObject(text);
  if (value === undefined) return { ok: false, error: `the judge's answer holds no JSON object: ${preview(text)}` };
  const scale = def.rubric.scale;
  if (!scale) {
    const parsed = passFailAnswer.safeParse(value);
    if (!parsed.success)
      return { ok: false, error: `the judge's answer has no "verdict" of pass or fail: ${preview(text)}` };
    const { verdict, reason } = parsed.data;
    return { ok: true, sample: { verdict, score: verdict === "pass" ? 1 : 0, rawScore: null, reason } };
  }
  const parsed = scaleAnswer.safeParse(value);
  if (!parsed.success) return { ok: false, error: `the judge's answer has no numeric "score": ${preview(text)}` };
  const { score, reason } = parsed.data;
  if (score < scale.min || score > scale.max) {
    return { ok: false, error: `the judge's score ${score} lies outside ${scale.min}..${scale.max}` };
  }
  return {
    ok: true,
    sample: {
      verdict: score >= scale.passThreshold ? "pass" : "fail",
      score: (score - scale.min) / (scale.max - scale.min),
      rawScore: score,
      reason,
    },
  };
}

/** The first JSON object in the text that parses, scanning balanced braces outside strings. */
export function extractJsonObject(text: string): Record<string, unknown> | undefined {
  for (let start = text.indexOf("{"); start !== -1; start = text.indexOf("{", start + 1)) {
    const end = matchingBrace(text, start);
    if (end === -1) return undefined;
    try {
      const value: unknown = JSON.parse(text.slice(start, end + 1));
      if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Not JSON after all (e.g. prose in braces): try the next opening brace.
    }
  }
  return undefined;
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i;
  }
  return -1;
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || "(empty)";
}
