/**
 * @module Streams one dataset version out of D1 in a given export format. The stream
 * pulls one page of cases per read, so a worker never holds more than a page of a
 * dataset however large it is, and a slow client slows the D1 reads instead of
 * filling memory. Pages are read as of the version, which never changes, so cases
 * written while the export runs cannot appear in it or shift its pages.
 */
import { type ExportFormat, exportSerializer } from "../dataset";
import { readCasePage } from "./dataset-cases";
import type { Db } from "./db";

/** Cases read per pull: large enough to amortise a D1 round trip, small enough to stay flat in memory. */
export const EXPORT_PAGE_CASES = 500;

export function exportVersionStream(
  db: Db,
  datasetId: string,
  version: number,
  format: ExportFormat,
  pageCases = EXPORT_PAGE_CASES,
): ReadableStream<Uint8Array> {
  const serializer = exportSerializer(format);
  const encoder = new TextEncoder();
  let afterCaseId = "";
  let headerSent = serializer.header === "";
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(encoder.encode(serializer.header));
          return;
        }
        const cases = await readCasePage(db, datasetId, version, { afterCaseId, limit: pageCases });
        if (cases.length > 0) {
          afterCaseId = cases[cases.length - 1]!.id;
          controller.enqueue(encoder.encode(cases.map(serializer.line).join("")));
        }
        if (cases.length < pageCases) controller.close();
      },
    },
    // Read a page only when the client has taken the previous one.
    { highWaterMark: 0 },
  );
}

export const EXPORT_FILE_EXTENSIONS: Record<ExportFormat, string> = {
  jsonl: "jsonl",
  csv: "csv",
  "openai-evals": "openai-evals.jsonl",
};

/** `support-bot regressions` v3 as jsonl -> `support-bot-regressions-v3.jsonl`. */
export function exportFileName(datasetName: string, version: number, format: ExportFormat): string {
  const slug = datasetName.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "dataset";
  return `${slug}-v${version}.${EXPORT_FILE_EXTENSIONS[format]}`;
}
