import { describe, expect, it } from "vitest";
import { caseOf as make } from "../../test/fixtures/dataset";
import type { DatasetCase } from "./case-model";
import { caseEditSchema, caseInputSchema } from "./case-schema";
import { type CaseChangeRequest, casesNeeded, isEmptyPlan, planCaseChanges, prepareChange } from "./plan-changes";

const failure = { graderId: "g", graderVersion: 1, reason: "wrong" };

function ids(...names: string[]) {
  return () => names.shift() ?? "unexpected";
}

async function plan(request: CaseChangeRequest, current: DatasetCase[], newIds = ids("n1", "n2", "n3")) {
  return planCaseChanges(await prepareChange(request), current, newIds);
}

describe("planCaseChanges: add", () => {
  it("adds cases with given or generated ids and derived fields", async () => {
    const cases = [
      caseInputSchema.parse({ input: "q", tags: ["b", " a ", "b"], guard: true }),
      caseInputSchema.parse({ id: "mine", input: 1, failure }),
    ];
    const result = await plan({ kind: "add", cases }, []);
    expect(result).toMatchObject({ ok: true, plan: { changeKind: "added", edited: [], removed: [] } });
    if (!result.ok) return;
    expect(result.plan.added.map((c) => [c.id, c.tags, c.guard, c.failure])).toEqual([
      ["n1", ["a", "b", "guard"], true, null],
      ["mine", [], false, failure],
    ]);
    expect(result.plan.added[0]!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses an input already in the dataset or twice in the request, and an existing id", async () => {
    const existing = await make("old", "Where is my order?");
    const result = await plan(
      {
        kind: "add",
        cases: [
          { input: "Where is my order" },
          { input: " where is MY\norder? " },
          { id: "old", input: 5 },
          { input: 6 },
          { input: 6 },
        ],
      },
      [existing],
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.code, e.index])).toEqual([
      ["duplicate_case_id", 2],
      ["duplicate_input", 1],
      ["duplicate_input", 4],
    ]);
    expect(result.errors[1]!.message).toBe("cases[1]: has the same input (after normalisation) as case 'old'");
    expect(result.errors[2]!.message).toBe("cases[4]: has the same input (after normalisation) as cases[3]");
  });

  it("says which live cases it needs", async () => {
    const prepared = await prepareChange({ kind: "add", cases: [{ id: "x", input: 1 }, { input: 2 }] });
    const needed = casesNeeded(prepared);
    expect(needed.caseIds).toEqual(["x"]);
    expect(needed.fingerprints).toHaveLength(2);
    expect(needed.allLiveCases).toBe(false);
  });
});

describe("planCaseChanges: edit", () => {
  it("changes only the given fields; null clears", async () => {
    const before = await make("a", "q", { expected: "e", failure, tags: ["x"], sourceTraceId: "t1" });
    const result = await plan(
      { kind: "edit", caseId: "a", edit: caseEditSchema.parse({ expected: null, tags: ["y"] }) },
      [before],
    );
    expect(result.ok && result.plan.edited).toEqual([{ before, after: { ...before, expected: null, tags: ["y"] } }]);
  });

  it("recomputes the fingerprint of a new input and toggles the guard tag", async () => {
    const before = await make("a", "q", { tags: ["guard", "x"] });
    const result = await plan({ kind: "edit", caseId: "a", edit: { input: "other", guard: false } }, [before]);
    if (!result.ok) throw new Error("expected a plan");
    const after = result.plan.edited[0]!.after;
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.tags).toEqual(["x"]);
    expect(after.guard).toBe(false);
  });

  it("plans nothing for an edit that changes nothing, but keeps whitespace edits", async () => {
    const before = await make("a", "q  q", { tags: ["b", "a"] });
    const same = await plan({ kind: "edit", caseId: "a", edit: { tags: ["a", "b"], input: "q  q" } }, [before]);
    expect(same.ok && isEmptyPlan(same.plan)).toBe(true);
    const spaced = await plan({ kind: "edit", caseId: "a", edit: { input: "q q" } }, [before]);
    expect(spaced.ok && spaced.plan.edited).toHaveLength(1);
  });

  it("refuses an unknown case and an input another case has", async () => {
    const a = await make("a", "A");
    const b = await make("b", "B");
    expect(await plan({ kind: "edit", caseId: "zz", edit: { expected: 1 } }, [a])).toMatchObject({
      ok: false,
      errors: [{ code: "case_not_found", caseId: "zz" }],
    });
    expect(await plan({ kind: "edit", caseId: "a", edit: { input: " B " } }, [a, b])).toMatchObject({
      ok: false,
      errors: [{ code: "duplicate_input", message: expect.stringContaining("case 'b'") }],
    });
  });
});

describe("planCaseChanges: remove", () => {
  it("removes live cases once each and refuses unknown ones", async () => {
    const a = await make("a", 1);
    const b = await make("b", 2);
    const ok = await plan({ kind: "remove", caseIds: ["b", "a", "b"] }, [a, b]);
    expect(ok.ok && ok.plan.removed).toEqual([a, b]);
    expect(await plan({ kind: "remove", caseIds: ["a", "x", "y"] }, [a])).toMatchObject({
      ok: false,
      errors: [{ caseId: "x" }, { caseId: "y" }],
    });
  });
});

describe("planCaseChanges: import", () => {
  it("merges: adds new ids, edits changed ones, skips unchanged, matches id-less lines by input", async () => {
    const a = await make("a", "A");
    const b = await make("b", "B");
    const c = await make("c", "C");
    const result = await plan(
      {
        kind: "import",
        mode: "merge",
        cases: [
          { line: 1, case: { id: "a", input: "A" } },
          { line: 2, case: { id: "b", input: "B", expected: "bee" } },
          { line: 3, case: { input: "  C", tags: ["t"] } },
          { line: 4, case: { id: "d", input: "D" } },
          { line: 5, case: { input: "E" } },
        ],
      },
      [a, b, c],
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan.changeKind).toBe("imported");
    expect(result.plan.added.map((x) => x.id)).toEqual(["d", "n1"]);
    expect(result.plan.edited.map((e) => [e.after.id, e.after.expected, e.after.tags])).toEqual([
      ["b", "bee", []],
      ["c", null, ["t"]],
    ]);
    expect(result.plan.removed).toEqual([]);
  });

  it("replaces: removes live cases the file does not mention", async () => {
    const a = await make("a", "A");
    const b = await make("b", "B");
    const prepared = await prepareChange({
      kind: "import",
      mode: "replace",
      cases: [{ line: 1, case: { input: "A" } }],
    });
    expect(casesNeeded(prepared).allLiveCases).toBe(true);
    const result = await planCaseChanges(prepared, [a, b], ids());
    expect(result.ok && result.plan).toMatchObject({ added: [], edited: [], removed: [b] });
  });

  it("lets a replacing import reuse the input of a case it removes", async () => {
    const a = await make("a", "A");
    const result = await plan(
      { kind: "import", mode: "replace", cases: [{ line: 1, case: { id: "z", input: "A" } }] },
      [a],
    );
    expect(result.ok && [result.plan.added.map((c) => c.id), result.plan.removed.map((c) => c.id)]).toEqual([
      ["z"],
      ["a"],
    ]);
  });

  it("reports conflicts by line number", async () => {
    const a = await make("a", "A");
    const b = await make("b", "B");
    const result = await plan(
      {
        kind: "import",
        mode: "merge",
        cases: [
          { line: 2, case: { id: "x", input: "X" } },
          { line: 4, case: { id: "x", input: "Y" } },
          { line: 5, case: { input: "A" } },
          { line: 6, case: { id: "a", input: "A2" } },
          { line: 9, case: { id: "new", input: "B" } },
        ],
      },
      [a, b],
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.code, e.line])).toEqual([
      ["duplicate_case_id", 4],
      ["duplicate_case_id", 6],
      ["duplicate_input", 9],
    ]);
    expect(result.errors[1]!.message).toBe("line 6: writes case 'a' again (already written by line 5)");
    const clash = await plan({ kind: "import", mode: "merge", cases: [{ line: 9, case: { id: "new", input: "B" } }] }, [
      a,
      b,
    ]);
    expect(clash).toMatchObject({
      ok: false,
      errors: [
        { code: "duplicate_input", line: 9, message: "line 9: has the same input (after normalisation) as case 'b'" },
      ],
    });
    const inFile = await plan(
      {
        kind: "import",
        mode: "merge",
        cases: [
          { line: 1, case: { id: "p", input: "Q" } },
          { line: 3, case: { id: "q", input: "Q " } },
        ],
      },
      [],
    );
    expect(inFile).toMatchObject({
      ok: false,
      errors: [{ line: 3, message: "line 3: has the same input (after normalisation) as line 1" }],
    });
  });
});
