/**
 * @module Parsing a JSONL import, one case per line, in the format `toJsonlLine` exports,
 * so export -> import round-trips unchanged (case ids included).
 *
 * An import is all-or-nothing: a file with any bad line is refused whole, with every bad
 * line reported by its number, and never becomes a half-applied version. Blank lines are
 * skipped; line numbers count from 1 and include blank lines, as an editor shows them.
 */
import type { z } from "@hono/zod-openapi";
import { type CaseInput, caseImportLineSchema } from "./case-schema";
import type { ImportedCase } from "./plan-changes";

export interface ImportLineError {
  line: number;
  message: string;
}

export type ImportLineResult = { ok: true; case: CaseInput } | { ok: false; error: ImportLineError };

export type ImportResult = { ok: true; cases: ImportedCase[] } | { ok: false; errors: ImportLineError[] };

/** Parses one non-blank line of a JSONL import. */
export function parseImportLine(line: string, lineNumber: number): ImportLineResult {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    const detail = error instanceof Error ? ` (${error.message})` : "";
    return { ok: false, error: { line: lineNumber, message: `line ${lineNumber}: is not valid JSON${detail}` } };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return {
      ok: false,
      error: { line: lineNumber, message: `line ${lineNumber}: must be a JSON object with at least an "input" field` },
    };
  }
  const parsed = caseImportLineSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, error: { line: lineNumber, message: `line ${lineNumber}: ${describeIssues(parsed.error)}` } };
  }
  // The exported fingerprint is derived data: it is recomputed from the input, never trusted.
  const { fingerprint: _fingerprint, ...input } = parsed.data;
  return { ok: true, case: input };
}

export interface ParseImportOptions {
  /** Refuse files with more cases than this. */
  maxCases?: number;
}

/** Parses a whole JSONL file; every bad line is reported, and then nothing is imported. */
export function parseImport(text: string, options: ParseImportOptions = {}): ImportResult {
  const cases: ImportedCase[] = [];
  const errors: ImportLineError[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const result = parseImportLine(line, index + 1);
    if (result.ok) cases.push({ line: index + 1, case: result.case });
    else errors.push(result.error);
  });
  if (options.maxCases !== undefined && cases.length + errors.length > options.maxCases) {
    return {
      ok: false,
      errors: [
        {
          line: 0,
          message: `the file holds ${cases.length + errors.length} cases; at most ${options.maxCases} can be imported at once`,
        },
      ],
    };
  }
  if (errors.length > 0) return { ok: false, errors };
  if (cases.length === 0) return { ok: false, errors: [{ line: 0, message: "the file holds no cases" }] };
  return { ok: true, cases };
}

/** "input: is required; tags[0]: must not be empty" */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
        "",
      );
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}
