/** @module Helpers for the dataset integration tests: JSON calls with a project key. */
import { call } from "./helpers";

export async function api(
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<Response> {
  return call(path, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": contentType },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Calls and parses JSON, failing the test with the body when the status is not the expected one. */
export async function expectJson<T = any>(res: Promise<Response> | Response, status: number): Promise<T> {
  const response = await res;
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function createDataset(apiKey: string, name = `ds-${crypto.randomUUID()}`): Promise<string> {
  const created = await expectJson<{ id: string }>(api(apiKey, "POST", "/api/datasets", { name }), 201);
  return created.id;
}

/** Every case of a version, through the paged cases endpoint. */
export async function allCases(
  apiKey: string,
  datasetId: string,
  version: string | number,
  limit = 100,
): Promise<any[]> {
  const cases: any[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page: any = await expectJson(
      api(apiKey, "GET", `/api/datasets/${datasetId}/versions/${version}/cases?${query}`),
      200,
    );
    cases.push(...page.cases);
    cursor = page.nextCursor;
  } while (cursor);
  return cases;
}

export const jsonl = (lines: unknown[]) => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n");
