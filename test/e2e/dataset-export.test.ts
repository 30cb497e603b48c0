/** Export through the running server: a user imports JSONL with fetch and downloads the streamed export. */
import { describe, expect, it } from "vitest";
import { api, createProject } from "./client";

describe("dataset export over HTTP", () => {
  it("imports cases and streams them back as JSONL and CSV", async () => {
    const project = await createProject("e2e-datasets");
    const created = await api(project.apiKey, "/api/datasets", {
      method: "POST",
      body: JSON.stringify({ name: "golden" }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const lines = Array.from({ length: 1200 }, (_, i) =>
      JSON.stringify({
        id: `c-${String(i).padStart(5, "0")}`,
        input: `question ${i}`,
        expected: i % 2 ? "=1+1" : null,
      }),
    );
    const imported = await api(project.apiKey, `/api/datasets/${id}/import`, {
      method: "POST",
      body: lines.join("\n"),
      headers: { "content-type": "application/x-ndjson" },
    });
    expect(imported.status).toBe(201);

    const res = await api(project.apiKey, `/api/datasets/${id}/versions/latest/export?format=jsonl`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-dataset-version")).toBe("1");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="golden-v1.jsonl"');
    const exported = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; input: string });
    expect(exported.map((c) => c.id)).toEqual(lines.map((l) => (JSON.parse(l) as { id: string }).id));

    const csv = await api(project.apiKey, `/api/datasets/${id}/versions/1/export?format=csv`);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const rows = (await csv.text()).split("\r\n");
    expect(rows[2]).toMatch(/^c-00001,question 1,'=1\+1,/);
    expect(rows).toHaveLength(1200 + 2);
  });
});
