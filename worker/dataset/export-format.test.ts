import { describe, expect, it } from "vitest";
import { type DatasetCase, buildCase } from "./case-model";
import { csvCell, csvHeader, exportSerializer, toCsvRow, toJsonlLine, toOpenAiEvalsLine } from "./export-format";

const failure = { graderId: "tone", graderVersion: 2, reason: 'rude, then "sorry"' };
const make = (input: unknown, extra: Partial<DatasetCase> = {}) =>
  buildCase(extra.id ?? "case-1", {
    input,
    expected: extra.expected ?? null,
    failure: extra.failure ?? null,
    tags: extra.tags ?? [],
    sourceTraceId: extra.sourceTraceId ?? null,
  });

/** A minimal RFC 4180 reader, to check that rows parse back into the intended cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  return rows;
}

describe("csvCell", () => {
  it("leaves plain text alone", () => {
    expect(csvCell("hello world")).toBe("hello world");
    expect(csvCell("")).toBe("");
  });

  it("quotes commas, quotes and line breaks, doubling quotes", () => {
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("line1\nline2")).toBe('"line1\nline2"');
    expect(csvCell("a\r\nb")).toBe('"a\r\nb"');
  });

  it("escapes cells a spreadsheet would run as a formula", () => {
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell("+SUM(A1)")).toBe("'+SUM(A1)");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@cmd")).toBe("'@cmd");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell("\rx")).toBe('"\'\rx"');
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell("a=b")).toBe("a=b");
  });
});

describe("toCsvRow", () => {
  it("writes one row per case that parses back into the header's columns", async () => {
    const c = await make('Hi, I\'m "Bob"\nhelp', {
      expected: { answer: "=cmd|' /C calc'!A0" },
      failure,
      tags: ["beta", "guard"],
      sourceTraceId: "run-42",
    });
    const text = csvHeader() + toCsvRow(c);
    const [header, row] = parseCsv(text);
    expect(header).toEqual([
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
    ]);
    expect(row).toEqual([
      "case-1",
      'Hi, I\'m "Bob"\nhelp',
      '{"answer":"=cmd|\' /C calc\'!A0"}',
      "tone",
      "2",
      'rude, then "sorry"',
      '["beta","guard"]',
      "run-42",
      "true",
      c.fingerprint,
    ]);
    expect(text.endsWith("\r\n")).toBe(true);
  });

  it("escapes formula-looking inputs and leaves unknown values empty", async () => {
    const [row] = parseCsv(toCsvRow(await make("=IMPORTXML(A1)")));
    expect(row![1]).toBe("'=IMPORTXML(A1)");
    expect(row!.slice(2, 6)).toEqual(["", "", "", ""]);
    const [numeric] = parseCsv(toCsvRow(await make(-5)));
    expect(numeric![1]).toBe("'-5");
  });
});

describe("toJsonlLine", () => {
  it("writes one JSON object per line with a fixed key order", async () => {
    const c = await make({ q: "a\nb" }, { failure, tags: ["x"], expected: [1] });
    const line = toJsonlLine(c);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(Object.keys(JSON.parse(line))).toEqual([
      "id",
      "input",
      "expected",
      "failure",
      "tags",
      "sourceTraceId",
      "guard",
      "fingerprint",
    ]);
    expect(JSON.parse(line)).toEqual(c);
  });
});

describe("toOpenAiEvalsLine", () => {
  it("wraps a string input as a user message and uses the expectation as ideal", async () => {
    expect(JSON.parse(toOpenAiEvalsLine(await make("Where is my order?", { expected: "Shipped." })))).toEqual({
      input: [{ role: "user", content: "Where is my order?" }],
      ideal: "Shipped.",
    });
  });

  it("passes message arrays and request objects with messages through", async () => {
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ];
    expect(JSON.parse(toOpenAiEvalsLine(await make(messages))).input).toEqual(messages);
    expect(JSON.parse(toOpenAiEvalsLine(await make({ model: "m", messages }))).input).toEqual(messages);
  });

  it("writes other inputs as JSON text and leaves out an unknown ideal", async () => {
    const sample = JSON.parse(toOpenAiEvalsLine(await make({ orderId: "A17" })));
    expect(sample).toEqual({ input: [{ role: "user", content: '{"orderId":"A17"}' }] });
    expect(JSON.parse(toOpenAiEvalsLine(await make("q", { expected: ["a", "b"] }))).ideal).toEqual(["a", "b"]);
    expect(JSON.parse(toOpenAiEvalsLine(await make("q", { expected: { a: 1 } }))).ideal).toBe('{"a":1}');
  });
});

describe("exportSerializer", () => {
  it("gives CSV a header and the JSON formats none", async () => {
    expect(exportSerializer("csv").header).toBe(csvHeader());
    expect(exportSerializer("jsonl").header).toBe("");
    const c = await make("x");
    expect(exportSerializer("openai-evals").line(c)).toBe(toOpenAiEvalsLine(c));
  });
});
