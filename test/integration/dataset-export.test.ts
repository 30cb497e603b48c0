/**
 * Dataset export through the worker's fetch: headers, streaming a few thousand cases page
 * by page (each exactly once, in order), JSONL round trip through import, CSV injection.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { exportVersionStream } from "../../worker/storage/dataset-export";
import { createDb } from "../../worker/storage/db";
import { createProject } from "./helpers";
import { allCases, api, createDataset, expectJson, jsonl } from "./dataset-helpers";

const CASES = 3000;

/** A response's body as UTF-8 text. The runtime warns when `.text()` reads a body typed JSON Lines. */
const bodyText = async (res: Response) => new TextDecoder().decode(await res.arrayBuffer());

async function fillDataset(apiKey: string, datasetId: string, count: number) {
  const lines = Array.from({ length: count }, (_, i) => ({
    input: { question: `question number ${i}`, context: ["a", i % 7] },
    expected: i % 3 === 0 ? null : `answer ${i}`,
    failure: i % 2 === 0 ? { graderId: "contains", graderVersion: 2, reason: `missed ${i}` } : null,
    tags: i % 5 === 0 ? ["slow", "beta"] : [],
    sourceTraceId: `run-${i}`,
  }));
  return expectJson(
    api(apiKey, "POST", `/api/datasets/${datasetId}/import`, jsonl(lines), "application/x-ndjson"),
    201,
  );
}

describe("dataset export", () => {
  it("streams a version of thousands of cases, each exactly once and in case id order", async () => {
    const { apiKey } = await createProject();
    const id = await createDataset(apiKey, "support bot / golden");
    expect(await fillDataset(apiKey, id, CASES)).toMatchObject({ version: 1, caseCount: CASES });
    // A later version must not leak into the export of version 1.
    await expectJson(api(apiKey, "POST", `/api/datasets/${id}/cases`, { input: "added later" }), 201);

    const res = await api(apiKey, "GET", `/api/datasets/${id}/versions/1/export?format=jsonl`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="support-bot-golden-v1.jsonl"');
    expect(res.headers.get("x-dataset-version")).toBe("1");
    expect(res.headers.get("x-dataset-case-count")).toBe(String(CASES));
    const lines = (await bodyText(res)).split("\n");
    expect(lines.pop()).toBe("");
    const ids = lines.map((line) => JSON.parse(line).id as string);
    expect(ids).toHaveLength(CASES);
    expect(new Set(ids).size).toBe(CASES);
    expect(ids).toEqual([...ids].sort());
    expect(lines.some((line) => line.includes("added later"))).toBe(false);
    // The export holds exactly what the cases endpoint shows for that version.
    const viaApi = await allCases(apiKey, id, 1, 500);
    expect(viaApi.map((c) => c.id)).toEqual(ids);

    const latest = await api(apiKey, "GET", `/api/datasets/${id}/versions/latest/export`);
    expect(latest.headers.get("x-dataset-version")).toBe("2");
    expect((await bodyText(latest)).split("\n").length - 1).toBe(CASES + 1);
  });

  it("reads one D1 page per pull, only as the reader asks", async () => {
    const { apiKey } = await createProject();
    const id = await createDataset(apiKey);
    await fillDataset(apiKey, id, 1000);
    let queries = 0;
    const counting = new Proxy(env.DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === "prepare") queries++;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const reader = exportVersionStream(createDb(counting), id, 1, "jsonl", 300).getReader();
    expect(queries).toBe(0);
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).split("\n")).toHaveLength(301);
    expect(queries).toBe(1);
    let lines = 300;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      lines += new TextDecoder().decode(value).split("\n").length - 1;
    }
    expect(lines).toBe(1000);
    expect(queries).toBe(4);
  });

  it("round-trips a JSONL export through import unchanged", async () => {
    const { apiKey } = await createProject();
    const source = await createDataset(apiKey, "source");
    await fillDataset(apiKey, source, 200);
    await expectJson(
      api(apiKey, "POST", `/api/datasets/${source}/cases`, {
        cases: [
          {
            input: [{ role: "user", content: 'héllo \u2028 "quoted"\n' }],
            expected: { nested: [1, 2.5, true, null] },
            guard: true,
          },
          { input: 42, expected: 0, tags: ["z", "a"] },
        ],
      }),
      201,
    );
    const exported = await bodyText(
      await api(apiKey, "GET", `/api/datasets/${source}/versions/latest/export?format=jsonl`),
    );

    // Into the same dataset: nothing changes, so no version is made.
    const same = await expectJson(
      api(apiKey, "POST", `/api/datasets/${source}/import?mode=replace`, exported, "application/x-ndjson"),
      200,
    );
    expect(same).toMatchObject({ created: false, version: 2 });
    // Into a fresh dataset: its export is byte for byte the same file.
    const copy = await createDataset(apiKey, "copy");
    await expectJson(api(apiKey, "POST", `/api/datasets/${copy}/import`, exported, "application/x-ndjson"), 201);
    const reexported = await bodyText(await api(apiKey, "GET", `/api/datasets/${copy}/versions/1/export?format=jsonl`));
    expect(reexported).toBe(exported);
  });

  it("escapes formula cells in a CSV export and writes OpenAI evals samples", async () => {
    const { apiKey } = await createProject();
    const id = await createDataset(apiKey, "csv");
    await expectJson(
      api(apiKey, "POST", `/api/datasets/${id}/cases`, {
        cases: [
          {
            id: "evil",
            input: '=HYPERLINK("http://x.test","click")',
            expected: "+1+2",
            failure: { graderId: "@SUM(A1)", graderVersion: 1, reason: '-a,b\n"c"' },
          },
          { id: "plain", input: "hello", expected: ["hi", "hey"] },
        ],
      }),
      201,
    );
    const res = await api(apiKey, "GET", `/api/datasets/${id}/versions/1/export?format=csv`);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="csv-v1.csv"');
    const rows = (await bodyText(res)).split("\r\n");
    expect(rows[0]).toBe(
      "id,input,expected,failure_grader_id,failure_grader_version,failure_reason,tags,source_trace_id,guard,fingerprint",
    );
    expect(rows[1]).toMatch(
      /^evil,"'=HYPERLINK\(""http:\/\/x\.test"",""click""\)",'\+1\+2,'@SUM\(A1\),1,"'-a,b\n""c""",\[\],,false,[0-9a-f]{64}$/,
    );
    // No cell of the file starts with a formula trigger.
    expect(rows.slice(1).join("\n")).not.toMatch(/(^|,)"?[=+\-@]/m);

    const evals = await api(apiKey, "GET", `/api/datasets/${id}/versions/1/export?format=openai-evals`);
    expect(evals.headers.get("content-disposition")).toBe('attachment; filename="csv-v1.openai-evals.jsonl"');
    const samples = (await bodyText(evals))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(samples[1]).toEqual({ input: [{ role: "user", content: "hello" }], ideal: ["hi", "hey"] });
    expect(
      (await expectJson(api(apiKey, "GET", `/api/datasets/${id}/versions/1/export?format=xml`), 400)).error.code,
    ).toBe("invalid_request");
  });
});
