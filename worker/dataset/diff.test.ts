import { describe, expect, it } from "vitest";
import { caseOf as make } from "../../test/fixtures/dataset";
import { changedFields, diffVersions } from "./diff";

describe("diffVersions", () => {
  it("finds added, removed and changed cases by id, sorted", async () => {
    const v1 = [await make("b", "B"), await make("a", "A"), await make("c", "C", { tags: ["x", "y"] })];
    const v2 = [
      await make("d", "D"),
      await make("a", "A", { expected: "e" }),
      await make("c", "C", { tags: ["y", "x"] }),
      await make("e", "E"),
    ];
    const diff = diffVersions(v1, v2);
    expect(diff.added.map((c) => c.id)).toEqual(["d", "e"]);
    expect(diff.removed.map((c) => c.id)).toEqual(["b"]);
    expect(diff.changed.map((c) => [c.id, c.before.expected, c.after.expected])).toEqual([["a", null, "e"]]);
  });

  it("counts whitespace edits and object changes, not key order", async () => {
    const before = [await make("a", "x  y"), await make("b", { p: 1, q: 2 })];
    const after = [await make("a", "x y"), await make("b", { q: 2, p: 1 })];
    expect(diffVersions(before, after).changed.map((c) => c.id)).toEqual(["a"]);
  });

  it("is empty for identical versions and symmetric otherwise", async () => {
    const v = [await make("a", 1), await make("b", 2)];
    expect(diffVersions(v, v)).toEqual({ added: [], removed: [], changed: [] });
    const w = [await make("b", 3), await make("c", 4)];
    const forward = diffVersions(v, w);
    const backward = diffVersions(w, v);
    expect(forward.added).toEqual(backward.removed);
    expect(forward.changed.map((c) => c.before)).toEqual(backward.changed.map((c) => c.after));
  });

  it("names the fields that changed", async () => {
    const failure = { graderId: "g", graderVersion: 1, reason: "r" };
    const [change] = diffVersions(
      [await make("a", 1, { failure })],
      [await make("a", 2, { failure, tags: ["t"] })],
    ).changed;
    expect(changedFields(change!)).toEqual(["input", "tags"]);
  });
});
