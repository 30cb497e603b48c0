/**
 * The grading hand-off into an agent's regression dataset, called directly with a
 * WindowCollection as the grading run builds it: dedup by input, guard sampling,
 * idempotency by window id, and injected D1 failures that leave nothing half-applied.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { collectWindowIntoDataset } from "../../durable-objects/agent-window/collect-window";
import type { CollectedTrace, WindowCollection } from "../../worker/dataset";
import { countRows, createProject, silenceExpectedErrors } from "./helpers";
import { allCases, api, expectJson } from "./dataset-helpers";

const score = { graderId: "contains-order-id", graderVersion: 3, reason: "answer lacks the order id" };
/** The failure as a case stores it: the first failing grader, and every failing grader beside it. */
const failure = { ...score, failures: [score] };
let clock = Date.parse("2026-11-26T10:00:00.000Z");
/** Traces are seen in the order the test builds them. */
const seenAt = () => new Date(clock++).toISOString();
const failing = (traceId: string, input: unknown, extra: Partial<CollectedTrace> = {}): CollectedTrace => ({
  traceId,
  input,
  output: "a wrong answer",
  verdict: "fail",
  failures: [score],
  seenAt: seenAt(),
  ...extra,
});
const passing = (traceId: string, input: unknown, reference?: unknown): CollectedTrace => ({
  traceId,
  input,
  output: "the agent's answer",
  verdict: "pass",
  failures: [],
  reference,
  seenAt: seenAt(),
});

/** A D1 whose batches of at least `minStatements` fail once, after running part of their statements. */
function failingBatches(state: { remaining: number }, minStatements = 4): D1Database {
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (state.remaining > 0 && statements.length >= minStatements) {
            state.remaining--;
            // The real statements run first, then one fails: D1 must roll back all of them.
            return target.batch([...statements, target.prepare("INSERT INTO injected_missing_table VALUES (1)")]);
          }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const dbState = async (datasetId: string | null) =>
  datasetId === null
    ? null
    : {
        versions: await countRows("dataset_versions", "dataset_id = ?", datasetId),
        cases: await countRows("dataset_cases", "dataset_id = ?", datasetId),
        stats: await countRows("dataset_case_stats", "dataset_id = ?", datasetId),
        applied: await countRows("dataset_applied_changes", "dataset_id = ?", datasetId),
      };

describe("collecting graded windows into the regression dataset", () => {
  it("dedups 50 identical failing inputs into one case counting 50, with the latest trace id", async () => {
    const project = await createProject();
    const traces = Array.from({ length: 50 }, (_, i) =>
      failing(`run-${String(i).padStart(2, "0")}`, "Where is my order?  "),
    );
    traces.push(failing("run-other", { q: "Cancel it" }, { reference: "Cancelled." }));
    const collection: WindowCollection = { projectId: project.id, agent: "support-bot", windowId: "w-1", traces };

    const result = await collectWindowIntoDataset(env, collection);
    expect(result).toMatchObject({ alreadyApplied: false, version: { version: 1, caseCount: 2, addedCount: 2 } });
    const listed = await expectJson(api(project.apiKey, "GET", "/api/datasets?agent=support-bot"), 200);
    expect(listed.datasets).toEqual([
      expect.objectContaining({
        id: result.datasetId,
        kind: "regression",
        name: "support-bot regressions",
        latestVersion: 1,
        caseCount: 2,
      }),
    ]);
    const cases = await allCases(project.apiKey, "agent:support-bot", "latest");
    const order = cases.find((c) => c.input === "Where is my order?  ");
    expect(order).toMatchObject({
      failure,
      sourceTraceId: "run-00",
      guard: false,
      stats: { occurrences: 50, lastTraceId: "run-49" },
    });
    expect(cases.find((c) => c.sourceTraceId === "run-other")).toMatchObject({
      expected: "Cancelled.",
      stats: { occurrences: 1 },
    });

    // The same input failing again in a later window: statistics only, no new version.
    const later = await collectWindowIntoDataset(env, {
      ...collection,
      windowId: "w-2",
      traces: [failing("run-50", "Where is my order?"), failing("run-51", "Where is  my order?")],
    });
    expect(later.version).toBeUndefined();
    const after = await allCases(project.apiKey, "agent:support-bot", "latest");
    expect(after.find((c) => c.id === order.id).stats).toMatchObject({ occurrences: 52, lastTraceId: "run-51" });
  });

  it("is idempotent by window id: a re-delivered window changes nothing", async () => {
    const project = await createProject();
    const collection: WindowCollection = {
      projectId: project.id,
      agent: "bot",
      windowId: "w-redeliver",
      traces: [failing("t1", "a"), failing("t2", "a"), failing("t3", "b")],
    };
    const first = await collectWindowIntoDataset(env, collection);
    const before = await dbState(first.datasetId);
    const again = await collectWindowIntoDataset(env, collection);
    expect(again).toMatchObject({ datasetId: first.datasetId, alreadyApplied: true, version: undefined });
    expect(await dbState(first.datasetId)).toEqual(before);
    const cases = await allCases(project.apiKey, "agent:bot", "latest");
    expect(cases.map((c) => c.stats.occurrences).sort()).toEqual([1, 2]);
  });

  it("keeps a configurable sample of passing traces as guard cases", async () => {
    const project = await createProject();
    const traces = [
      passing("p1", "kept as guard", "the good answer"),
      passing("p2", "also kept"),
      failing("f1", "broken"),
    ];
    const none = await collectWindowIntoDataset({ ...env, DATASET_GUARD_RATE: "0" } as unknown as Env, {
      projectId: project.id,
      agent: "g",
      windowId: "w-none",
      traces: traces.slice(0, 2),
    });
    expect(none.datasetId).toBeNull();

    const all = await collectWindowIntoDataset({ ...env, DATASET_GUARD_RATE: "1" } as unknown as Env, {
      projectId: project.id,
      agent: "g",
      windowId: "w-all",
      traces,
    });
    expect(all.version).toMatchObject({ caseCount: 3 });
    const cases = await allCases(project.apiKey, "agent:g", "latest");
    const guards = cases.filter((c) => c.guard);
    expect(guards.map((c) => c.input).sort()).toEqual(["also kept", "kept as guard"]);
    expect(guards.every((c) => c.tags.includes("guard") && c.failure === null)).toBe(true);
    expect(guards.find((c) => c.input === "kept as guard").expected).toBe("the good answer");
    expect(guards.find((c) => c.input === "also kept").expected).toBe("the agent's answer");

    // A guard input that fails later turns into a failure case (it used to pass).
    const turned = await collectWindowIntoDataset(env, {
      projectId: project.id,
      agent: "g",
      windowId: "w-turn",
      traces: [failing("f2", "kept as guard")],
    });
    expect(turned.version).toMatchObject({ changedCount: 1 });
    const now = (await allCases(project.apiKey, "agent:g", "latest")).find((c) => c.input === "kept as guard");
    expect(now).toMatchObject({ guard: false, tags: [], failure, sourceTraceId: "f2" });

    // The sample is by trace id, so the same traces are sampled the same way every time.
    const sampled = async (windowId: string) =>
      collectWindowIntoDataset({ ...env, DATASET_GUARD_RATE: "0.5" } as unknown as Env, {
        projectId: project.id,
        agent: `half-${windowId}`,
        windowId,
        traces: Array.from({ length: 40 }, (_, i) => passing(`same-${i}`, `input ${i}`)),
      });
    const [a, b] = [await sampled("x"), await sampled("y")];
    expect(a.version!.caseCount).toBe(b.version!.caseCount);
    expect(a.version!.caseCount).toBeGreaterThan(0);
    expect(a.version!.caseCount).toBeLessThan(40);
  });

  it("applies nothing when the D1 batch fails, and the retried window applies once", async () => {
    const project = await createProject();
    const collection: WindowCollection = {
      projectId: project.id,
      agent: "flaky",
      windowId: "w-fail",
      traces: [failing("t1", "x"), failing("t2", "y"), failing("t3", "y")],
    };
    const state = { remaining: 1 };
    await expect(collectWindowIntoDataset({ ...env, DB: failingBatches(state) }, collection)).rejects.toThrow(
      /injected_missing_table/,
    );
    expect(state.remaining).toBe(0);
    const dataset = await expectJson(api(project.apiKey, "GET", "/api/datasets?agent=flaky"), 200);
    const datasetId = dataset.datasets[0].id;
    expect(await dbState(datasetId)).toEqual({ versions: 0, cases: 0, stats: 0, applied: 0 });

    const retried = await collectWindowIntoDataset(env, collection);
    expect(retried.version).toMatchObject({ version: 1, caseCount: 2 });
    expect(await dbState(datasetId)).toEqual({ versions: 1, cases: 2, stats: 2, applied: 1 });
  });

  it("answers 503 for an API change whose batch fails, with nothing half-applied; the retry works", async () => {
    const logged = silenceExpectedErrors();
    const project = await createProject();
    const created = await expectJson(api(project.apiKey, "POST", "/api/datasets", { name: "flaky" }), 201);
    const { default: worker } = await import("../../worker/index");
    const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
    const body = JSON.stringify({
      cases: [
        { id: "a", input: "one" },
        { id: "b", input: "two" },
      ],
    });
    const request = () =>
      new Request(`http://flywheel.test/api/datasets/${created.id}/cases`, {
        method: "POST",
        headers: { authorization: `Bearer ${project.apiKey}`, "content-type": "application/json" },
        body,
      });
    const ctx = createExecutionContext();
    const failed = await worker.fetch(request(), { ...env, DB: failingBatches({ remaining: 1 }) }, ctx);
    await waitOnExecutionContext(ctx);
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBeTruthy();
    expect(await dbState(created.id)).toEqual({ versions: 0, cases: 0, stats: 0, applied: 0 });

    const retried = await worker.fetch(request(), env, createExecutionContext());
    expect(retried.status).toBe(201);
    expect((await allCases(project.apiKey, created.id, "latest")).map((c) => c.id)).toEqual(["a", "b"]);
    expect(logged).toHaveBeenCalledWith(
      expect.stringMatching(/^dependency failure \[/),
      "POST",
      expect.stringMatching(/^\/api\/datasets\/.*\/cases$/),
      expect.any(Error),
    );
  });
});
