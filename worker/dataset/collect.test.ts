import { describe, expect, it } from "vitest";
import { buildCase } from "./case-model";
import {
  type Observation,
  fingerprintObservations,
  isGuardSample,
  planCollection,
  regressionDatasetName,
} from "./collect";

const fail = (reason: string) => ({ graderId: "judge", graderVersion: 3, reason });
const obs = (
  traceId: string,
  input: unknown,
  seenAt: string,
  failure: Observation["failure"],
  output?: unknown,
): Observation => ({
  traceId,
  input,
  seenAt,
  failure,
  output,
});
const counter = () => {
  let n = 0;
  return () => `case-${++n}`;
};

describe("planCollection", () => {
  it("makes one case per failing input, from its earliest trace, counting every occurrence", async () => {
    const observations = await fingerprintObservations([
      obs("t3", "Where is my order?", "2026-01-03", fail("late"), "late answer"),
      obs("t1", "where is MY order?\n", "2026-01-01", fail("case differs"), "first answer"),
      obs("t2", "  Where is my order? ", "2026-01-02", fail("second"), "second answer"),
      obs("t4", "Where is\nmy order?", "2026-01-04", fail("latest"), "latest answer"),
      obs("t5", "Where is my order", "2026-01-05", fail("no question mark"), "other"),
    ]);
    const { plan, stats } = await planCollection(observations, [], counter());
    expect(plan.added.map((c) => [c.id, c.sourceTraceId, c.failure?.reason, c.guard])).toEqual([
      ["case-1", "t1", "case differs", false],
      ["case-2", "t5", "no question mark", false],
    ]);
    expect(stats).toEqual([
      {
        fingerprint: plan.added[0]!.fingerprint,
        occurrences: 4,
        firstSeenAt: "2026-01-01",
        lastTraceId: "t4",
        lastSeenAt: "2026-01-04",
        lastFailure: {
          traceId: "t4",
          output: "latest answer",
          failures: [{ graderId: "judge", graderVersion: 3, reason: "latest" }],
        },
      },
      {
        fingerprint: plan.added[1]!.fingerprint,
        occurrences: 1,
        firstSeenAt: "2026-01-05",
        lastTraceId: "t5",
        lastSeenAt: "2026-01-05",
        lastFailure: {
          traceId: "t5",
          output: "other",
          failures: [{ graderId: "judge", graderVersion: 3, reason: "no question mark" }],
        },
      },
    ]);
  });

  it("records every failing grader of the trace on the case", async () => {
    const failures = [
      { graderId: "fmt", graderVersion: 2, name: "order id format", reason: "bad id" },
      { graderId: "tone", graderVersion: 1, name: "tone", reason: "rude" },
    ];
    const observations = await fingerprintObservations([
      obs("t1", "q", "2026-01-01", { ...failures[0]!, failures }, "out"),
    ]);
    const { plan, stats } = await planCollection(observations, [], counter());
    expect(plan.added[0]!.failure).toEqual({ ...failures[0], failures });
    expect(stats[0]!.lastFailure).toEqual({ traceId: "t1", output: "out", failures });
  });

  it("keeps matching a case collected under the version-1 fingerprint", async () => {
    const legacy = {
      ...(await buildCase("old", {
        input: "Where is my order?",
        expected: null,
        failure: fail("x"),
        tags: [],
        sourceTraceId: "t0",
      })),
    };
    const { legacyInputFingerprint } = await import("./fingerprint");
    legacy.fingerprint = await legacyInputFingerprint("Where is my order?");
    const observations = await fingerprintObservations([
      obs("t1", " Where is my   order?", "2026-01-01", fail("again")),
    ]);
    const { plan, stats } = await planCollection(observations, [legacy], counter());
    expect(plan.added).toEqual([]);
    expect(stats.map((s) => [s.fingerprint, s.occurrences])).toEqual([[legacy.fingerprint, 1]]);
  });

  it("only counts a failure that already has a case", async () => {
    const existing = await buildCase("old", {
      input: "q",
      expected: null,
      failure: fail("x"),
      tags: [],
      sourceTraceId: "t0",
    });
    const { plan, stats } = await planCollection(
      await fingerprintObservations([obs("t9", "q", "2026-02-01", fail("again"))]),
      [existing],
      counter(),
    );
    expect(plan).toEqual({ changeKind: "collected", added: [], edited: [], removed: [] });
    expect(stats).toMatchObject([{ fingerprint: existing.fingerprint, occurrences: 1, lastTraceId: "t9" }]);
  });

  it("turns a guard case that now fails into a failure case", async () => {
    const guard = await buildCase("g1", {
      input: "q",
      expected: "good answer",
      failure: null,
      tags: ["guard", "beta"],
      sourceTraceId: "t0",
    });
    const { plan } = await planCollection(
      await fingerprintObservations([obs("t5", "q", "2026-02-01", fail("broke"))]),
      [guard],
      counter(),
    );
    expect(plan.edited).toEqual([
      { before: guard, after: { ...guard, failure: fail("broke"), tags: ["beta"], guard: false, sourceTraceId: "t5" } },
    ]);
  });

  it("keeps a sampled passing input as a guard case with its output as reference", async () => {
    const observations = await fingerprintObservations([
      obs("p1", "fine", "2026-01-01", null, { answer: "ok" }),
      obs("p2", "fine", "2026-01-02", null, { answer: "ok again" }),
    ]);
    const { plan, stats } = await planCollection(observations, [], counter());
    expect(plan.added.map((c) => [c.tags, c.guard, c.expected, c.failure, c.sourceTraceId])).toEqual([
      [["guard"], true, { answer: "ok" }, null, "p1"],
    ]);
    expect(stats).toMatchObject([{ occurrences: 2, lastTraceId: "p2" }]);
  });

  it("lets a failure win over a pass of the same input in one batch, and ignores passes of failure cases", async () => {
    const failing = await buildCase("f", {
      input: "known",
      expected: null,
      failure: fail("x"),
      tags: [],
      sourceTraceId: "t0",
    });
    const { plan, stats } = await planCollection(
      await fingerprintObservations([
        obs("p1", "mixed", "2026-01-01", null),
        obs("f1", "mixed", "2026-01-02", fail("flaky")),
        obs("p2", "known", "2026-01-03", null),
      ]),
      [failing],
      counter(),
    );
    expect(plan.added.map((c) => [c.input, c.guard, c.sourceTraceId])).toEqual([["mixed", false, "f1"]]);
    expect(stats.map((s) => [s.occurrences, s.lastTraceId])).toEqual([[1, "f1"]]);
  });
});

describe("isGuardSample", () => {
  it("is deterministic and close to the rate", async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `trace-${i}`);
    const picks = await Promise.all(ids.map((id) => isGuardSample(id, 0.1)));
    const share = picks.filter(Boolean).length / ids.length;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    expect(await Promise.all(ids.slice(0, 50).map((id) => isGuardSample(id, 0.1)))).toEqual(picks.slice(0, 50));
  });

  it("never or always samples at the ends", async () => {
    expect(await isGuardSample("x", 0)).toBe(false);
    expect(await isGuardSample("x", 1)).toBe(true);
  });
});

it("names the regression dataset after its agent", () => {
  expect(regressionDatasetName("support-bot")).toBe("support-bot regressions");
});
