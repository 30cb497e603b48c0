/**
 * @module Export formats of a dataset version, one case at a time so an export streams:
 * JSONL (the lossless format, importable unchanged), CSV (for spreadsheets; lossy about
 * JSON types, guarded against formula injection) and OpenAI evals JSONL.
 * Every function returns a whole line including its line terminator.
 */
import type { DatasetCase } from "./case-model";

export type ExportFormat = "jsonl" | "csv" | "openai-evals";

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8; header=present",
  "openai-evals": "application/x-ndjson; charset=utf-8",
};

/**
 * One JSONL line. Keys in a fixed order; `guard` and `fingerprint` are informational
 * (import derives them again). Occurrence statistics are not exported: they are not
 * part of a version, so an export of a version must not change as they grow.
 */
export function toJsonlLine(c: DatasetCase): string {
  return `${JSON.stringify({
    id: c.id,
    input: c.input,
    expected: c.expected,
    failure: c.failure,
    tags: c.tags,
    sourceTraceId: c.sourceTraceId,
    guard: c.guard,
    fingerprint: c.fingerprint,
  })}\n`;
}

const CSV_COLUMNS = [
  "id",
  "input",
  "expected",
  "failure_grader_id",
  "failure_grader_version",
  "failure_reason",
  "tags",
  "source_trace_id",
  "guard",
  "fingerprint",
] as const;

/** The CSV header line (RFC 4180 uses CRLF line breaks). */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(",")}\r\n`;
}

/**
 * One CSV row. Strings are written as they are, other JSON values as JSON text, tags as a
 * JSON array, unknown values as an empty cell.
 */
export function toCsvRow(c: DatasetCase): string {
  const cells = [
    c.id,
    jsonCell(c.input),
    jsonCell(c.expected),
    c.failure?.graderId ?? "",
    c.failure ? String(c.failure.graderVersion) : "",
    c.failure?.reason ?? "",
    JSON.stringify(c.tags),
    c.sourceTraceId ?? "",
    c.guard ? "true" : "false",
    c.fingerprint,
  ];
  return `${cells.map(csvCell).join(",")}\r\n`;
}

function jsonCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Spreadsheets run a cell that starts with one of these as a formula (CSV injection). */
const FORMULA_TRIGGER = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 cell. A cell that a spreadsheet would read as a formula gets a leading
 * single quote (the OWASP advice), then a cell holding a comma, quote or line break is
 * quoted with its quotes doubled.
 */
export function csvCell(value: string): string {
  const safe = FORMULA_TRIGGER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

interface ChatMessage {
  role: string;
  content: unknown;
}

const isChatMessage = (value: unknown): value is ChatMessage =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as { role?: unknown }).role === "string" &&
  "content" in value;

const isChatMessages = (value: unknown): value is ChatMessage[] =>
  Array.isArray(value) && value.length > 0 && value.every(isChatMessage);

/**
 * One line of an OpenAI evals sample file: `{"input": [messages], "ideal": ...}`.
 * A message array (or a request object with `messages`) passes through; a string becomes
 * one user message; any other value becomes a user message holding its JSON text.
 * `ideal` is the expected output (a string or list of strings as is, other values as
 * JSON text) and is left out when the expectation is unknown.
 */
export function toOpenAiEvalsLine(c: DatasetCase): string {
  const sample: { input: unknown[]; ideal?: string | string[] } = { input: evalsMessages(c.input) };
  const ideal = evalsIdeal(c.expected);
  if (ideal !== undefined) sample.ideal = ideal;
  return `${JSON.stringify(sample)}\n`;
}

function evalsMessages(input: unknown): unknown[] {
  if (isChatMessages(input)) return input;
  const messages = (input as { messages?: unknown } | null)?.messages;
  if (typeof input === "object" && input !== null && isChatMessages(messages)) return messages;
  const content = typeof input === "string" ? input : JSON.stringify(input ?? null);
  return [{ role: "user", content }];
}

function evalsIdeal(expected: unknown): string | string[] | undefined {
  if (expected === null || expected === undefined) return undefined;
  if (typeof expected === "string") return expected;
  if (Array.isArray(expected) && expected.length > 0 && expected.every((e) => typeof e === "string")) return expected;
  return JSON.stringify(expected);
}

/** The line serialiser of a format, plus the header line it starts with (CSV only). */
export function exportSerializer(format: ExportFormat): { header: string; line: (c: DatasetCase) => string } {
  switch (format) {
    case "jsonl":
      return { header: "", line: toJsonlLine };
    case "csv":
      return { header: csvHeader(), line: toCsvRow };
    case "openai-evals":
      return { header: "", line: toOpenAiEvalsLine };
  }
}
