/**
 * The dataset REST API through the worker's fetch with real local D1: versions made by
 * every change, as-of reads, diffs, immutability, isolation, import refusal, concurrency.
 */
import { describe, expect, it } from "vitest";
import { countRows, createProject } from "./helpers";
import { allCases, api, createDataset, expectJson, jsonl } from "./dataset-helpers";

describe("dataset CRUD and versions", () => {
  it("makes one immutable version per change and reads every version as it was", async () => {
    const { apiKey } = await createProject();
    const id = await createDataset(apiKey, "golden");

    const v1 = await expectJson(
      api(apiKey, "POST", `/api/datasets/${id}/cases`, {
        cases: [
          { id: "a", input: "alpha" },
          { id: "b", input: "beta", tags: ["x"] },
        ],
      }),
      201,
    );
    expect(v1).toMatchObject({ created: true, version: 1, caseCount: 2, addedCount: 2, caseIds: ["a", "b"] });
    const v2 = await expectJson(
      api(apiKey, "POST", `/api/datasets/${id}/cases`, { input: "gamma", expected: "G" }),
      201,
    );
    expect(v2).toMatchObject({ version: 2, caseCount: 3, addedCount: 1 });
    const gammaId = v2.caseIds[0];
    const v3 = await expectJson(api(apiKey, "PATCH", `/api/datasets/${id}/cases/a`, { expected: "A!" }), 201);
    expect(v3).toMatchObject({ version: 3, caseCount: 3, changedCount: 1 });
    const v4 = await expectJson(api(apiKey, "DELETE", `/api/datasets/${id}/cases/b`), 201);
    expect(v4).toMatchObject({ version: 4, caseCount: 2, removedCount: 1 });
    // An edit that changes nothing makes no version.
    const same = await expectJson(api(apiKey, "PATCH", `/api/datasets/${id}/cases/a`, { expected: "A!" }), 200);
    expect(same).toMatchObject({ created: false, version: 4, caseCount: 2 });

    const v1Cases = await allCases(apiKey, id, 1);
    expect(v1Cases.map((c) => [c.id, c.input, c.expected])).toEqual([
      ["a", "alpha", null],
      ["b", "beta", null],
    ]);
    expect(v1Cases[1]).toMatchObject({ tags: ["x"], guard: false, stats: { occurrences: 0 } });
    const latest = await allCases(apiKey, id, "latest");
    expect(latest.map((c) => [c.id, c.expected])).toEqual(
      [
        ["a", "A!"],
        [gammaId, "G"],
      ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );

    const versions = await expectJson(api(apiKey, "GET", `/api/datasets/${id}/versions`), 200);
    expect(versions.versions.map((v: any) => [v.version, v.changeKind, v.caseCount])).toEqual([
      [4, "removed", 2],
      [3, "edited", 3],
      [2, "added", 3],
      [1, "added", 2],
    ]);
    const listed = await expectJson(api(apiKey, "GET", "/api/datasets"), 200);
    expect(listed.datasets).toEqual([
      expect.objectContaining({ id, name: "golden", kind: "custom", latestVersion: 4, caseCount: 2 }),
    ]);

    const diff = await expectJson(api(apiKey, "GET", `/api/datasets/${id}/diff?from=1&to=latest`), 200);
    expect(diff.from).toBe(1);
    expect(diff.to).toBe(4);
    expect(diff.added.map((c: any) => c.id)).toEqual([gammaId]);
    expect(diff.removed.map((c: any) => c.id)).toEqual(["b"]);
    expect(diff.changed).toEqual([
      expect.objectContaining({
        id: "a",
        before: expect.objectContaining({ expected: null }),
        after: expect.objectContaining({ expected: "A!" }),
      }),
    ]);
    const paged = await expectJson(api(apiKey, "GET", `/api/datasets/${id}/diff?from=1&to=4&limit=1`), 200);
    expect(paged.nextCursor).toBe("a");
  });

  it("refuses to modify a version with 409 version_immutable", async () => {
    const { apiKey } = await createProject();
    const id = await createDataset(apiKey);
    await expectJson(api(apiKey, "POST", `/api/datasets/${id}/cases`, { id: "a", input: "x" }), 201);
    for (const [method, path] of [
      ["PUT", `/api/datasets/${id}/versions/1`],
      ["PATCH", `/api/datasets/${id}/versions/1`],
      ["DELETE", `/api/datasets/${id}/versions/latest`],
      ["PATCH", `/api/datasets/${id}/versions/1/cases/a`],
      ["DELETE", `/api/datasets/${id}/versions/1/cases/a`],
      ["POST", `/api/datasets/${id}/versions/1/cases`],
    ] as const) {
      const body = await expectJson(api(apiKey, method, path, method === "DELETE" ? undefined : { input: "y" }), 409);
      expect(body.error.code).toBe("version_immutable");
      expect(body.error.message).toMatch(/immutable.*new version/);
    }
    expect((await allCases(apiKey, id, 1)).map((c) => c.input)).toEqual(["x"]);
    expect(await countRows("dataset_versions", "dataset_id = ?", id)).toBe(1);
  });

  it("answers 404 for unknown datasets, versions and cases, and for another project's dataset", async () => {
    const owner = await createProject("owner");
    const other = await createProject("other");
    const id = await createDataset(owner.apiKey);
    const notFound = async (key: string, method: string, path: string, code: string, body?: unknown) =>
      expect((await expectJson(api(key, method, path, body), 404)).error.code).toBe(code);

    await notFound(owner.apiKey, "GET", "/api/datasets/ds_nope/versions", "dataset_not_found");
    await notFound(owner.apiKey, "GET", `/api/datasets/${id}/versions/latest/cases`, "version_not_found");
    await expectJson(api(owner.apiKey, "POST", `/api/datasets/${id}/cases`, { id: "a", input: "x" }), 201);
    await notFound(owner.apiKey, "GET", `/api/datasets/${id}/versions/2/export`, "version_not_found");
    await notFound(owner.apiKey, "DELETE", `/api/datasets/${id}/cases/zzz`, "case_not_found");
    await notFound(owner.apiKey, "PATCH", `/api/datasets/${id}/cases/zzz`, "case_not_found", { expected: 1 });
    // Another project's key sees nothing and changes nothing.
    await notFound(other.apiKey, "GET", `/api/datasets/${id}/versions/1/cases`, "dataset_not_found");
    await notFound(other.apiKey, "GET", `/api/datasets/${id}/versions/1/export`, "dataset_not_found");
    await notFound(other.apiKey, "POST", `/api/datasets/${id}/cases`, "dataset_not_found", { input: "evil" });
    await notFound(other.apiKey, "DELETE", `/api/datasets/${id}/cases/a`, "dataset_not_found");
    await notFound(other.apiKey, "PUT", `/api/datasets/${id}/versions/1`, "dataset_not_found", {});
    expect((await expectJson(api(other.apiKey, "GET", "/api/datasets"), 200)).datasets).toEqual([]);
    expect(await countRows("dataset_versions", "dataset_id = ?", id)).toBe(1);
    expect(
      (
        await expectJson(
          api(owner.apiKey, "GET", `/api/datasets/${id}/versions/1/cases?cursor=${encodeURIComponent("bad cursor!")}`),
          400,
        )
      ).error.code,
    ).toBe("invalid_request");
  });

  it("refuses bad cases with specific errors and adds none of the batch", async () => {
    const { apiKey } = await createProject();
    const id = await createDataset(apiKey);
    const bad = await expectJson(
      api(apiKey, "POST", `/api/datasets/${id}/cases`, { cases: [{ input: "ok" }, { tags: [""] }] }),
      400,
    );
    expect(bad.error.code).toBe("invalid_case");
    expect(bad.error.message).toContain("cases[1].input: is required");
    const dup = await expectJson(
      api(apiKey, "POST", `/api/datasets/${id}/cases`, { cases: [{ input: "same  text" }, { input: "same text " }] }),
      409,
    );
    expect(dup.error.code).toBe("duplicate_input");
    await expectJson(api(apiKey, "POST", `/api/datasets/${id}/cases`, { id: "a", input: "x" }), 201);
    const again = await expectJson(
      api(apiKey, "POST", `/api/datasets/${id}/cases`, { cases: [{ input: "new" }, { id: "a", input: "y" }] }),
      409,
    );
    expect(again.error.code).toBe("duplicate_case_id");
    expect((await expectJson(api(apiKey, "POST", "/api/datasets", { name: "" }), 400)).error.code).toBe(
      "invalid_request",
    );
    await expectJson(api(apiKey, "POST", "/api/datasets", { name: "twice" }), 201);
    expect((await expectJson(api(apiKey, "POST", "/api/datasets", { name: "twice" }), 409)).error.code).toBe(
      "dataset_exists",
    );
    expect(await countRows("dataset_versions", "dataset_id = ?", id)).toBe(1);
  });

  it("refuses a whole import when any line is bad, naming every bad line", async () => {
    const { apiKey } = await createProject();
    const id = await createDataset(apiKey);
    const file = jsonl([
      { input: "one" },
      "{not json",
      { input: "three" },
      "",
      { expected: "no input" },
      { input: "six", tags: "x" },
    ]);
    const res = await expectJson(api(apiKey, "POST", `/api/datasets/${id}/import`, file, "application/x-ndjson"), 400);
    expect(res.error.code).toBe("invalid_import");
    expect(res.error.details.map((e: any) => e.line)).toEqual([2, 5, 6]);
    expect(res.error.message).toMatch(/line 2: is not valid JSON.*line 5: input: is required.*line 6: tags/);
    expect(await countRows("dataset_cases", "dataset_id = ?", id)).toBe(0);
    expect(await countRows("dataset_versions", "dataset_id = ?", id)).toBe(0);

    const conflict = await expectJson(
      api(apiKey, "POST", `/api/datasets/${id}/import`, jsonl([{ input: "a b" }, { input: "a  b " }])),
      409,
    );
    expect(conflict.error.code).toBe("import_conflict");
    expect(conflict.error.details[0].line).toBe(2);
    expect(
      (await expectJson(api(apiKey, "POST", `/api/datasets/${id}/import?mode=wipe`, jsonl([{ input: "a" }])), 400))
        .error.message,
    ).toContain("merge");
    expect(await countRows("dataset_versions", "dataset_id = ?", id)).toBe(0);
  });

  it("imports in merge and replace modes", async () => {
    const { apiKey } = await createProject();
    const id = await createDataset(apiKey);
    await expectJson(
      api(
        apiKey,
        "POST",
        `/api/datasets/${id}/import`,
        jsonl([
          { id: "a", input: "a" },
          { id: "b", input: "b" },
        ]),
      ),
      201,
    );
    const merged = await expectJson(
      api(
        apiKey,
        "POST",
        `/api/datasets/${id}/import?mode=merge`,
        jsonl([
          { input: "b", expected: "B" },
          { id: "c", input: "c" },
        ]),
      ),
      201,
    );
    expect(merged).toMatchObject({ version: 2, caseCount: 3, addedCount: 1, changedCount: 1 });
    const replaced = await expectJson(
      api(apiKey, "POST", `/api/datasets/${id}/import?mode=replace`, jsonl([{ id: "c", input: "c" }])),
      201,
    );
    expect(replaced).toMatchObject({ version: 3, caseCount: 1, removedCount: 2 });
    expect((await allCases(apiKey, id, 2)).map((c) => [c.id, c.expected])).toEqual([
      ["a", null],
      ["b", "B"],
      ["c", null],
    ]);
  });

  it("never loses a case when changes race; versions are distinct and contiguous", async () => {
    const { apiKey } = await createProject();
    const id = await createDataset(apiKey);
    await expectJson(api(apiKey, "POST", `/api/datasets/${id}/cases`, { id: "seed", input: "seed" }), 201);
    const racers = Array.from({ length: 8 }, (_, i) =>
      api(apiKey, "POST", `/api/datasets/${id}/cases`, {
        cases: [
          { id: `r${i}-1`, input: `input ${i} one` },
          { id: `r${i}-2`, input: `input ${i} two` },
        ],
      }),
    );
    const edit = api(apiKey, "PATCH", `/api/datasets/${id}/cases/seed`, { expected: "seeded" });
    const results = await Promise.all([...racers, edit].map((r) => expectJson(r, 201)));
    const made = results.map((r) => r.version).sort((a, b) => a - b);
    expect(made).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const latest = await allCases(apiKey, id, "latest");
    expect(latest).toHaveLength(17);
    expect(latest.find((c) => c.id === "seed").expected).toBe("seeded");
    const versions = await expectJson(api(apiKey, "GET", `/api/datasets/${id}/versions`), 200);
    expect(versions.versions[0]).toMatchObject({ version: 10, caseCount: 17 });
  });

  it("finds an agent's regression dataset by agent:<name>", async () => {
    const { apiKey } = await createProject();
    const res = await expectJson(api(apiKey, "GET", "/api/datasets/agent:support-bot/versions"), 404);
    expect(res.error.message).toContain("agent:<agent>");
  });
});
