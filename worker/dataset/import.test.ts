import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildCase, contentOfInput } from "./case-model";
import { toJsonlLine } from "./export-format";
import { parseImport, parseImportLine } from "./import";

describe("parseImportLine", () => {
  it("accepts a minimal line", () => {
    expect(parseImportLine('{"input": "hi"}', 1)).toEqual({ ok: true, case: { input: "hi" } });
  });

  it("reports bad JSON, non-objects and schema errors with the line number", () => {
    const bad = parseImportLine("{nope", 7);
    expect(bad).toMatchObject({ ok: false, error: { line: 7 } });
    expect(!bad.ok && bad.error.message).toMatch(/^line 7: is not valid JSON/);
    expect(parseImportLine("[1]", 2)).toMatchObject({
      ok: false,
      error: { line: 2, message: expect.stringMatching(/JSON object/) },
    });
    const missing = parseImportLine('{"expected": 1, "tags": [""]}', 3);
    expect(!missing.ok && missing.error.message).toMatch(/^line 3: input: is required; tags\[0\]: must not be empty/);
    const unknown = parseImportLine('{"input": 1, "inptu": 2}', 4);
    expect(!unknown.ok && unknown.error.message).toMatch(/line 4: .*inptu/);
    const guard = parseImportLine('{"input": 1, "guard": false, "tags": ["guard"]}', 5);
    expect(!guard.ok && guard.error.message).toMatch(/line 5: guard: is false/);
    const id = parseImportLine('{"id": "has space", "input": 1}', 6);
    expect(!id.ok && id.error.message).toMatch(/line 6: id: /);
  });

  it("accepts an input of JSON null but not a missing one", () => {
    expect(parseImportLine('{"input": null}', 1)).toEqual({ ok: true, case: { input: null } });
  });
});

describe("export -> import round trip", () => {
  const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
  const tag = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);

  it("gives back the same id, input, expected, failure, tags and source trace", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          id: fc.stringMatching(/^[A-Za-z0-9._:@-]{1,20}$/),
          input: jsonValue,
          expected: fc.option(
            jsonValue.filter((v) => v !== null),
            { nil: null },
          ),
          failure: fc.option(
            fc.record({
              graderId: fc.string({ minLength: 1 }),
              graderVersion: fc.integer({ min: 1, max: 1_000_000 }),
              reason: fc.string(),
            }),
            { nil: null },
          ),
          tags: fc.array(tag, { maxLength: 4 }),
          sourceTraceId: fc.option(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { nil: null }),
        }),
        async (content) => {
          const original = await buildCase(content.id, content);
          const parsed = parseImportLine(toJsonlLine(original).trimEnd(), 1);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(parsed.case.id).toBe(original.id);
          const again = await buildCase(parsed.case.id!, contentOfInput(parsed.case));
          expect(again).toEqual(original);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("parseImport", () => {
  it("parses every line, skipping blank ones and a BOM, with CRLF line ends", () => {
    const result = parseImport('\uFEFF{"input": 1}\r\n\r\n{"input": 2, "id": "b"}\n');
    expect(result).toEqual({
      ok: true,
      cases: [
        { line: 1, case: { input: 1 } },
        { line: 3, case: { input: 2, id: "b" } },
      ],
    });
  });

  it("refuses the whole file and reports every bad line by number", () => {
    const text = ['{"input": 1}', "oops", '{"input": 3}', "", '{"tags": []}', '{"input": 6}'].join("\n");
    const result = parseImport(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.line)).toEqual([2, 5]);
    expect(!result.ok && result.errors[1]!.message).toBe("line 5: input: is required");
  });

  it("refuses an empty file and one over the case limit", () => {
    expect(parseImport("\n  \n")).toMatchObject({ ok: false, errors: [{ message: "the file holds no cases" }] });
    expect(parseImport('{"input":1}\n{"input":2}\n{"input":3}', { maxCases: 2 })).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringMatching(/3 cases; at most 2/) }],
    });
  });
});
