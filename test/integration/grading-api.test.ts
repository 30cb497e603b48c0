/**
 * Grader CRUD and versioning, window settings, the score/window/distribution REST shapes,
 * validation errors that change nothing, and isolation between projects.
 */
import { describe, expect, it } from "vitest";
import { countRows, createProject, getJson, sampleTrace } from "./helpers";
import { closeWindow, createGrader, ingest, send, setWindow, traceScores, windows } from "./grading-helpers";

const containsShipped = { kind: "rule", check: "contains", text: "shipped" };

describe("grader definitions", () => {
  it("creates, lists, reads, versions on edit and disables without losing history", async () => {
    const { apiKey } = await createProject();
    const created = await createGrader(apiKey, { name: "mentions shipping", definition: containsShipped });
    expect(created).toMatchObject({ agent: "support-bot", name: "mentions shipping", version: 1, enabled: true });
    expect((created as unknown as { definition: Record<string, unknown> }).definition).toMatchObject({
      target: "output",
      caseSensitive: true,
    });

    const other = await createGrader(apiKey, {
      agent: "billing-bot",
      name: "no refund",
      definition: { kind: "rule", check: "tool_not_called", tool: "refund" },
    });
    const listed = await (await getJson(apiKey, "/api/graders?agent=support-bot")).json<{
      graders: { id: string }[];
    }>();
    expect(listed.graders.map((g) => g.id)).toEqual([created.id]);
    expect((await (await getJson(apiKey, "/api/graders")).json<{ graders: unknown[] }>()).graders).toHaveLength(2);

    const edited = await send(apiKey, "PATCH", `/api/graders/${created.id}`, {
      definition: { ...containsShipped, text: "delivered" },
      filter: { hasTag: "beta" },
    });
    expect(edited.status).toBe(200);
    expect(await edited.json()).toMatchObject({
      version: 2,
      definition: { text: "delivered", filter: { hasTag: "beta" } },
    });
    const renamed = await send(apiKey, "PUT", `/api/graders/${created.id}`, { name: "mentions delivery" });
    expect(await renamed.json()).toMatchObject({
      version: 3,
      name: "mentions delivery",
      definition: { text: "delivered" },
    });

    const versions = await (await getJson(apiKey, `/api/graders/${created.id}/versions`)).json<{
      versions: { version: number; name: string; definition: { text: string } }[];
    }>();
    expect(versions.versions.map((v) => [v.version, v.name, v.definition.text])).toEqual([
      [1, "mentions shipping", "shipped"],
      [2, "mentions shipping", "delivered"],
      [3, "mentions delivery", "delivered"],
    ]);

    const disabled = await send(apiKey, "DELETE", `/api/graders/${created.id}`);
    expect(await disabled.json()).toMatchObject({ enabled: false, version: 3 });
    expect(await (await getJson(apiKey, `/api/graders/${created.id}`)).json()).toMatchObject({ enabled: false });
    expect(await (await send(apiKey, "POST", `/api/graders/${created.id}/enable`)).json()).toMatchObject({
      enabled: true,
    });
    expect(await (await send(apiKey, "POST", `/api/graders/${other.id}/disable`)).json()).toMatchObject({
      enabled: false,
    });
  });

  it("refuses invalid definitions with a specific error and stores nothing", async () => {
    const { apiKey, id } = await createProject();
    const cases: [unknown, string][] = [
      [{ agent: "support-bot", name: "x", definition: { kind: "nope" } }, "kind"],
      [{ agent: "support-bot", name: "x", definition: { kind: "rule", check: "regex", pattern: "(a+)+$" } }, "pattern"],
      [{ agent: "support-bot", name: "x", definition: { kind: "rule", check: "contains" } }, "text"],
      [{ agent: "support-bot", name: "", definition: containsShipped }, "name"],
      [{ name: "x", definition: containsShipped }, "agent"],
      [{ agent: "support-bot", name: "x", definition: containsShipped, extra: 1 }, "extra"],
      [{ agent: "support-bot", name: "x", definition: containsShipped, filter: { hasTag: 3 } }, "filter"],
    ];
    for (const [body, field] of cases) {
      const res = await send(apiKey, "POST", "/api/graders", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = (await res.json<{ error: { code: string; message: string } }>()).error;
      expect(error.code).toBe("invalid_request");
      expect(error.message).toContain(field);
    }
    expect(await countRows("graders", "project_id = ?", id)).toBe(0);

    const grader = await createGrader(apiKey, { name: "ok", definition: containsShipped });
    const empty = await send(apiKey, "PATCH", `/api/graders/${grader.id}`, {});
    expect(empty.status).toBe(400);
    expect((await empty.json<{ error: { message: string } }>()).error.message).toContain("at least one");
    const bad = await send(apiKey, "PATCH", `/api/graders/${grader.id}`, {
      definition: { kind: "rule", check: "max_tool_calls", n: -1 },
    });
    expect(bad.status).toBe(400);
    expect(await countRows("grader_versions", "grader_id = ?", grader.id)).toBe(1);
    expect((await send(apiKey, "PATCH", "/api/graders/grd_missing", { name: "y" })).status).toBe(404);
  });

  it("validates window settings and query ranges", async () => {
    const { apiKey } = await createProject();
    for (const [body, field] of [
      [{ maxTraces: 0 }, "maxTraces"],
      [{ sampleRate: 2 }, "sampleRate"],
      [{ maxAgeMs: 10 }, "maxAgeMs"],
      [{ size: 3 }, "size"],
    ] as const) {
      const res = await send(apiKey, "PUT", "/api/agents/support-bot/window", body);
      expect(res.status).toBe(400);
      expect((await res.json<{ error: { message: string } }>()).error.message).toContain(field);
    }
    const status = await (await getJson(apiKey, "/api/agents/support-bot/window")).json<{
      settings: unknown;
      custom: unknown;
    }>();
    expect(status).toMatchObject({
      settings: { maxTraces: 50, maxAgeMs: 60000, sampleRate: 1, minGraded: 20 },
      custom: null,
    });

    await setWindow(apiKey, { maxTraces: 7, sampleRate: 0.5 });
    const after = await (await getJson(apiKey, "/api/agents/support-bot/window")).json<{ settings: unknown }>();
    expect(after.settings).toEqual({ maxTraces: 7, maxAgeMs: 60000, sampleRate: 0.5, minGraded: 20 });

    const range = await getJson(apiKey, "/api/agents/support-bot/windows?from=yesterday");
    expect(range.status).toBe(400);
    expect((await range.json<{ error: { message: string } }>()).error.message).toContain("from");
    const reversed = await getJson(
      apiKey,
      "/api/agents/support-bot/distribution?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
    );
    expect(reversed.status).toBe(400);
  });
});

describe("reading grades", () => {
  it("keeps grader versions apart in scores and distribution, and isolates projects", async () => {
    const { apiKey, id: projectId } = await createProject();
    const intruder = await createProject("intruder");
    const grader = await createGrader(apiKey, { name: "mentions shipping", definition: containsShipped });
    const first = [sampleTrace(), sampleTrace({ output: "lost" })];
    await ingest(apiKey, first);
    expect((await closeWindow(apiKey)).status).toBe(200);

    await send(apiKey, "PATCH", `/api/graders/${grader.id}`, { definition: { ...containsShipped, text: "yesterday" } });
    const second = [sampleTrace(), sampleTrace(), sampleTrace({ output: "shipped" })];
    await ingest(apiKey, second);
    const closed = await closeWindow(apiKey);
    expect(closed.status).toBe(200);
    expect(closed.body.closedWindowId).toMatch(/^win_/);

    const scores = await traceScores(apiKey, second[2]!.id);
    expect(scores).toMatchObject({
      state: "graded",
      scores: [{ graderId: grader.id, graderVersion: 2, verdict: "fail", superseded: false }],
    });
    const trace = await (await getJson(apiKey, `/api/traces/${first[0]!.id}`)).json<{ state: string }>();
    expect(trace.state).toBe("graded");

    const dist = await (await getJson(apiKey, "/api/agents/support-bot/distribution")).json<{
      scoreCount: number;
      graders: {
        graderVersion: number;
        pass: number;
        fail: number;
        passRate: number;
        ci: { low: number; high: number };
        insufficient: boolean;
        insufficientReason: string;
      }[];
    }>();
    expect(dist.scoreCount).toBe(5);
    expect(dist.graders.map((g) => [g.graderVersion, g.pass, g.fail])).toEqual([
      [1, 1, 1],
      [2, 2, 1],
    ]);
    expect(dist.graders[1]!.passRate).toBeCloseTo(2 / 3);
    expect(dist.graders[1]!.ci.low).toBeLessThan(2 / 3);
    expect(dist.graders[1]!.insufficient).toBe(true);
    expect(dist.graders[1]!.insufficientReason).toContain("at least 20");

    const future = await (
      await getJson(apiKey, "/api/agents/support-bot/distribution?from=2999-01-01T00:00:00Z")
    ).json<{ scoreCount: number }>();
    expect(future.scoreCount).toBe(0);
    const listed = await windows(apiKey);
    expect(listed).toHaveLength(2);
    expect(listed[0]!.rollup.perGraderVersion.map((g) => g.graderVersion)).toEqual([2]);
    expect(listed[1]!.rollup.perGraderVersion.map((g) => g.graderVersion)).toEqual([1]);

    // Another project's key sees none of it, and cannot change it.
    expect((await getJson(intruder.apiKey, `/api/traces/${first[0]!.id}/scores`)).status).toBe(404);
    expect((await getJson(intruder.apiKey, `/api/graders/${grader.id}`)).status).toBe(404);
    expect((await getJson(intruder.apiKey, `/api/graders/${grader.id}/versions`)).status).toBe(404);
    expect((await send(intruder.apiKey, "PATCH", `/api/graders/${grader.id}`, { name: "mine" })).status).toBe(404);
    expect((await send(intruder.apiKey, "DELETE", `/api/graders/${grader.id}`)).status).toBe(404);
    expect(await windows(intruder.apiKey)).toEqual([]);
    const theirs = await (await getJson(intruder.apiKey, "/api/agents/support-bot/distribution")).json<{
      graders: unknown[];
    }>();
    expect(theirs.graders).toEqual([]);
    expect((await (await getJson(intruder.apiKey, "/api/graders")).json<{ graders: unknown[] }>()).graders).toEqual([]);
    expect(await countRows("graders", "project_id = ? AND enabled = 1", projectId)).toBe(1);
    expect((await getJson("fw_not_a_key", "/api/agents/support-bot/windows")).status).toBe(401);
  });

  it("a disabled grader no longer runs; its earlier scores stay", async () => {
    const { apiKey } = await createProject();
    const kept = await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    const dropped = await createGrader(apiKey, {
      name: "lookup",
      definition: { kind: "rule", check: "tool_called", tool: "lookup_order" },
    });
    const before = sampleTrace();
    await ingest(apiKey, [before]);
    await closeWindow(apiKey);
    await send(apiKey, "DELETE", `/api/graders/${dropped.id}`);
    const after = sampleTrace();
    await ingest(apiKey, [after]);
    await closeWindow(apiKey);
    expect((await traceScores(apiKey, before.id)).scores.map((s) => s.graderId).sort()).toEqual(
      [kept.id, dropped.id].sort(),
    );
    expect((await traceScores(apiKey, after.id)).scores.map((s) => s.graderId)).toEqual([kept.id]);
  });
});
