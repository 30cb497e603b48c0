import { describe, expect, it } from "vitest";
import {
  agentVersionRuns,
  displayValue,
  legacyFragment,
  parseRoute,
  routeHref,
  spanTree,
  tooFewLabelPlan,
  windowMetricSeries,
} from "./site-model.js";

describe("routes", () => {
  it("round-trips every page through its fragment, names with slashes and spaces included", () => {
    const routes = [
      { page: "overview" },
      { page: "agent", agent: "support bot/eu" },
      { page: "trace", traceId: "run-42" },
      { page: "dataset", dataset: "agent:support-bot", from: 2, to: 5 },
      { page: "review", agent: "support-bot" },
      { page: "iterations", agent: "support-bot" },
      { page: "eval-run", runId: "run_1" },
    ];
    for (const route of routes) expect(parseRoute(routeHref(route))).toEqual(route);
  });

  it("never carries the key: an old #key=... link gives the key to the tab and a route without it", () => {
    expect(legacyFragment("#key=fw_secret&agent=support-bot")).toEqual({
      key: "fw_secret",
      route: "#/agent/support-bot",
    });
    expect(legacyFragment("#/agent/support-bot")).toEqual({ key: null, route: null });
    expect(routeHref(parseRoute("#/agent/x?key=fw_secret"))).not.toContain("fw_secret");
  });

  it("names an unknown path instead of guessing", () => {
    expect(parseRoute("#/nope")).toEqual({ page: "not-found", path: "nope" });
  });
});

const window = (seq, extra = {}) => ({ seq, closedAt: `2026-12-0${seq}T00:00:00Z`, rollup: { ...extra } });

describe("agent versions", () => {
  it("marks where the agent version changed, by the version most traces of a window had", () => {
    const runs = agentVersionRuns([
      window(1, { agentVersions: { v1: 10 } }),
      window(2, { agentVersions: { v1: 8, v2: 1 } }),
      window(3, { agentVersions: { v2: 9 } }),
    ]);
    expect(runs.map((r) => [r.label, r.fromSeq])).toEqual([
      ["v1", 1],
      ["v2", 3],
    ]);
  });
});

describe("window-level graders", () => {
  it("counts a p95 budget failing three windows in a row, per grader version", () => {
    const p95 = (verdict) => ({
      windowScores: [{ graderId: "g1", graderVersion: 1, verdict, score: 0.5, reason: "p95" }],
    });
    const series = windowMetricSeries(
      [window(1, p95("pass")), window(2, p95("fail")), window(3, p95("fail")), window(4, p95("fail"))],
      (id, v) => `${id} v${v}`,
    );
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ failing: 3, longestFailingRun: 3, currentFailingRun: 3 });
  });
});

describe("too few labels", () => {
  it("labels windows far enough apart and only marks the rest, one per window", () => {
    const plan = tooFewLabelPlan([3, 1, 2, 2, 9], (i) => i * 20, 48);
    expect(plan).toEqual({ labelled: [1, 9], marked: [2, 3] });
  });
});

describe("span tree", () => {
  it("nests spans under their parents in start order, with offsets and durations", () => {
    const rows = spanTree(
      [
        {
          id: "tool",
          parentId: "llm",
          type: "tool",
          name: "lookup",
          startTime: "2026-01-01T00:00:00.600Z",
          endTime: "2026-01-01T00:00:00.900Z",
        },
        {
          id: "llm",
          parentId: null,
          type: "llm",
          name: "chat",
          startTime: "2026-01-01T00:00:00.100Z",
          endTime: "2026-01-01T00:00:01.000Z",
        },
        { id: "orphan", parentId: "gone", type: "step", name: "late" },
      ],
      "2026-01-01T00:00:00.000Z",
    );
    expect(rows.map((r) => [r.id, r.depth, r.startMs, r.durationMs])).toEqual([
      ["orphan", 0, null, null],
      ["llm", 0, 100, 900],
      ["tool", 1, 600, 300],
    ]);
  });

  it("keeps spans whose parents form a cycle", () => {
    const rows = spanTree(
      [
        { id: "a", parentId: "b" },
        { id: "b", parentId: "a" },
      ],
      null,
    );
    expect(rows.map((r) => r.id).sort()).toEqual(["a", "b"]);
  });
});

describe("values shown as text", () => {
  it("shows strings as they are, markup included, and JSON pretty-printed", () => {
    expect(displayValue("<img src=x onerror=alert(1)>")).toBe("<img src=x onerror=alert(1)>");
    expect(displayValue({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});
