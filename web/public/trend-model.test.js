/**
 * @module Unit tests of the trend page's data shaping: per-version series (invariant 6),
 * insufficient windows (invariant 7), verdicts, scales and the dataset/histogram shapes.
 */
import { describe, expect, it } from "vitest";
import {
  bandCentre,
  buildTrend,
  countTicks,
  datasetSizes,
  dodgeOffsets,
  formatPercent,
  graderLabel,
  insufficientReason,
  labelledWindowIndexes,
  latestDistribution,
  linearScale,
  orderWindows,
  regressionDataset,
  seriesPerWindow,
  trendSegments,
  trendVerdict,
} from "./trend-model.js";

function wilson(pass, n, z = 1.96) {
  const p = pass / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z / d) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { low: Math.max(0, c - h), high: Math.min(1, c + h) };
}

function grader(graderId, graderVersion, pass, fail, { minGraded = 20, histogram } = {}) {
  const decided = pass + fail;
  return {
    graderId,
    graderVersion,
    count: decided,
    pass,
    fail,
    error: 0,
    skipped: 0,
    passRate: decided ? pass / decided : null,
    ci: decided ? wilson(pass, decided) : null,
    scoreHistogram: histogram ?? [fail, 0, 0, 0, 0, 0, 0, 0, 0, pass],
    meanScore: decided ? pass / decided : null,
    insufficient: decided < minGraded,
  };
}

function window(seq, minute, graders, { minGraded = 20 } = {}) {
  const closedAt = `2026-11-26T10:${String(minute).padStart(2, "0")}:00.000Z`;
  const traceCount = Math.max(0, ...graders.map((g) => g.count));
  return {
    id: `win_${seq}`,
    agent: "support-bot",
    seq,
    openedAt: closedAt,
    closedAt,
    gradedAt: closedAt,
    traceCount,
    gradedCount: traceCount,
    passCount: 0,
    passRate: null,
    insufficient: traceCount < minGraded,
    rollup: {
      traceCount,
      gradedCount: traceCount,
      passRate: null,
      passRateCI: null,
      insufficient: traceCount < minGraded,
      insufficientReason: traceCount < minGraded ? "too few" : null,
      minGraded,
      perGraderVersion: graders,
      latencyMs: { p50: 800, p90: 1200, p95: 1500, p99: 1900, max: 2000 },
    },
  };
}

describe("graderLabel", () => {
  it("names a grader version by the name it had, and human verdicts as reviewers, not a version 0", () => {
    const labels = { versionNames: new Map([["g1@v2", "polite"]]), graderNames: new Map([["g1", "courteous"]]) };
    expect(graderLabel("g1", 2, labels)).toBe("polite · v2");
    expect(graderLabel("g1", 3, labels)).toBe("courteous · v3");
    expect(graderLabel("human", 0, labels)).toBe("human reviewers");
  });
});

describe("orderWindows", () => {
  it("puts windows oldest first and leaves out ungraded ones", () => {
    const w1 = window(1, 1, []);
    const w2 = window(2, 2, []);
    const pending = { ...window(3, 3, []), gradedAt: null };
    expect(orderWindows([pending, w2, w1]).map((w) => w.seq)).toEqual([1, 2]);
  });
});

describe("buildTrend", () => {
  const labels = {
    graderNames: new Map([["grd_a", "mentions tracking"]]),
    versionNames: new Map([
      ["grd_a@v1", "mentions tracking"],
      ["grd_a@v2", "mentions tracking (strict)"],
    ]),
  };
  // Newest first, as the API answers.
  const windows = [
    window(4, 4, [grader("grd_a", 2, 18, 2)]),
    window(3, 3, [grader("grd_a", 1, 15, 5), grader("grd_a", 2, 12, 8)]),
    window(2, 2, [grader("grd_a", 1, 3, 1)]),
    window(1, 1, [grader("grd_a", 1, 8, 12)]),
  ];
  const trend = buildTrend(windows, labels);

  it("makes one series per grader id and version, never pooling versions", () => {
    expect(trend.series.map((s) => s.key)).toEqual(["grd_a@v1", "grd_a@v2"]);
    const [v1, v2] = trend.series;
    expect(v1.points.map((p) => p.seq)).toEqual([1, 2, 3]);
    expect(v2.points.map((p) => p.seq)).toEqual([3, 4]);
    // Window 3 was graded by both versions: each series keeps its own numbers.
    expect(v1.points[2].passRate).toBe(0.75);
    expect(v2.points[0].passRate).toBe(0.6);
  });

  it("labels each series with the name its version had", () => {
    expect(trend.series.map((s) => s.label)).toEqual(["mentions tracking · v1", "mentions tracking (strict) · v2"]);
  });

  it("records where a version change starts a new series", () => {
    expect(trend.versionChanges).toEqual([
      {
        graderId: "grd_a",
        fromVersion: 1,
        toVersion: 2,
        windowIndex: 2,
        seq: 3,
        label: "mentions tracking (strict): v1 → v2",
      },
    ]);
    expect(trend.series[1].firstWindowIndex).toBe(2);
  });

  it("marks a window with too few graded traces and says why", () => {
    const small = trend.series[0].points[1];
    expect(small.insufficient).toBe(true);
    expect(small.reason).toBe("too few graded traces: 4 pass/fail verdicts, at least 20 needed");
    expect(trend.series[0].points[0].insufficient).toBe(false);
  });

  it("breaks the trend line at an insufficient window", () => {
    // v1: window 1 (ok), 2 (too few), 3 (ok): no segment joins 1 and 3 through 2.
    expect(trend.series[0].segments).toEqual([]);
    expect(trend.series[1].segments.map((seg) => seg.map((p) => p.seq))).toEqual([[3, 4]]);
  });

  it("keeps the Wilson interval as the error bar", () => {
    const p = trend.series[0].points[0];
    expect(p.ci.low).toBeCloseTo(wilson(8, 20).low, 12);
    expect(p.ci.high).toBeCloseTo(wilson(8, 20).high, 12);
    expect(p.ci.low).toBeLessThan(p.passRate);
    expect(p.ci.high).toBeGreaterThan(p.passRate);
  });

  it("gives distinct colours and a column per window", () => {
    expect(new Set(trend.series.map((s) => s.color)).size).toBe(2);
    expect(trend.windows.map((w) => w.seq)).toEqual([1, 2, 3, 4]);
    expect(trend.windows[2].graderVersions).toEqual(["grd_a@v1", "grd_a@v2"]);
  });

  it("keeps the series of one grader together, oldest version first", () => {
    const t = buildTrend([
      window(1, 1, [grader("grd_a", 1, 10, 10)]),
      window(2, 2, [grader("grd_b", 1, 10, 10)]),
      window(3, 3, [grader("grd_a", 2, 10, 10), grader("grd_b", 1, 10, 10)]),
    ]);
    expect(t.series.map((s) => s.key)).toEqual(["grd_a@v1", "grd_a@v2", "grd_b@v1"]);
    expect(t.series[0].label).toBe("grd_a · v1");
  });

  it("treats a grader version with no pass/fail verdicts as insufficient with no value", () => {
    const t = buildTrend([window(1, 1, [grader("grd_a", 1, 0, 0)])]);
    const p = t.series[0].points[0];
    expect(p.passRate).toBeNull();
    expect(p.insufficient).toBe(true);
    expect(p.reason).toBe(insufficientReason(0, 20));
  });

  it("is empty for no windows", () => {
    expect(buildTrend([])).toEqual({ windows: [], series: [], versionChanges: [] });
  });
});

describe("trendSegments", () => {
  const pt = (seq, insufficient = false, passRate = 0.5) => ({ seq, insufficient, passRate });
  it("joins runs of two or more sufficient points only", () => {
    const segs = trendSegments([pt(1), pt(2), pt(3, true), pt(4), pt(5), pt(6), pt(7, false, null), pt(8)]);
    expect(segs.map((s) => s.map((p) => p.seq))).toEqual([
      [1, 2],
      [4, 5, 6],
    ]);
  });
});

describe("trendVerdict", () => {
  const series = (...pairs) =>
    buildTrend(pairs.map(([pass, fail], i) => window(i + 1, i + 1, [grader("g", 1, pass, fail)]))).series[0];
  it("calls it better only when the intervals do not overlap", () => {
    const v = trendVerdict(series([6, 24], [15, 15], [27, 3]));
    expect(v.kind).toBe("better");
    expect(v.text).toBe("better: 20% (#1) → 90% (#3), +70 pts; the 95% intervals do not overlap");
  });
  it("calls overlapping intervals no clear change", () => {
    expect(trendVerdict(series([12, 8], [14, 6])).kind).toBe("flat");
  });
  it("calls it worse when the last interval is wholly below the first", () => {
    const v = trendVerdict(series([27, 3], [6, 24]));
    expect(v.kind).toBe("worse");
    expect(v.text).toContain("−70 pts");
  });
  it("ignores insufficient windows and says when there is no trend yet", () => {
    expect(trendVerdict(series([1, 1])).kind).toBe("unknown");
    expect(trendVerdict(series([1, 1], [15, 5])).kind).toBe("single");
  });
});

describe("scales and layout", () => {
  it("maps linearly, also inverted ranges", () => {
    const y = linearScale([0, 1], [300, 20]);
    expect(y(0)).toBe(300);
    expect(y(1)).toBe(20);
    expect(y(0.5)).toBe(160);
    expect(linearScale([2, 2], [0, 10])(2)).toBe(5);
  });
  it("centres windows in equal bands", () => {
    expect(bandCentre(0, 4, 0, 400)).toBe(50);
    expect(bandCentre(3, 4, 0, 400)).toBe(350);
    expect(bandCentre(0, 1, 0, 400)).toBe(200);
  });
  it("dodges markers sharing a window symmetrically and within the spread", () => {
    expect(dodgeOffsets(1, 10, 30)).toEqual([0]);
    expect(dodgeOffsets(2, 10, 30)).toEqual([-5, 5]);
    const tight = dodgeOffsets(5, 10, 20);
    expect(tight[4] - tight[0]).toBeCloseTo(20);
  });
  it("lists series per window for dodging", () => {
    const t = buildTrend([
      window(1, 1, [grader("a", 1, 10, 10)]),
      window(2, 2, [grader("a", 1, 10, 10), grader("a", 2, 10, 10)]),
    ]);
    expect(seriesPerWindow(t)).toEqual([["a@v1"], ["a@v1", "a@v2"]]);
  });
  it("picks round count ticks", () => {
    expect(countTicks(0)).toEqual({ max: 1, ticks: [0, 1] });
    expect(countTicks(7, 4)).toEqual({ max: 8, ticks: [0, 2, 4, 6, 8] });
    expect(countTicks(37, 4).ticks).toEqual([0, 10, 20, 30, 40]);
  });
  it("thins window labels but keeps the last", () => {
    expect(labelledWindowIndexes(5, 1000)).toEqual([0, 1, 2, 3, 4]);
    const thin = labelledWindowIndexes(100, 880, 44);
    expect(thin[0]).toBe(0);
    expect(thin[thin.length - 1]).toBe(99);
    expect(thin.length).toBeLessThanOrEqual(21);
    expect(labelledWindowIndexes(0, 100)).toEqual([]);
  });
  it("formats percentages", () => {
    expect(formatPercent(0.8333)).toBe("83%");
    expect(formatPercent(0.8333, 1)).toBe("83.3%");
    expect(formatPercent(null)).toBe("–");
  });
});

describe("latestDistribution", () => {
  it("takes the newest window's histogram per grader version", () => {
    const d = latestDistribution([
      window(2, 2, [grader("a", 2, 15, 5, { histogram: [5, 0, 0, 0, 0, 0, 0, 0, 1, 14] })]),
      window(1, 1, [grader("a", 1, 1, 1)]),
    ]);
    expect(d.seq).toBe(2);
    expect(d.graders).toHaveLength(1);
    const [g] = d.graders;
    expect(g.key).toBe("a@v2");
    expect(g.verdicts).toEqual({ pass: 15, fail: 5, error: 0, skipped: 0 });
    expect(g.scored).toBe(20);
    expect(g.bins[9]).toEqual({ from: 0.9, to: 1, count: 14 });
    expect(g.bins[0].from).toBe(0);
  });
  it("is null without windows", () => {
    expect(latestDistribution([])).toBeNull();
  });
});

describe("regression dataset", () => {
  it("finds the agent's regression dataset", () => {
    const ds = [
      { id: "ds_1", kind: "custom", agent: "bot" },
      { id: "ds_2", kind: "regression", agent: "bot" },
    ];
    expect(regressionDataset(ds, "bot").id).toBe("ds_2");
    expect(regressionDataset(ds, "other")).toBeNull();
  });
  it("orders versions oldest first", () => {
    const sizes = datasetSizes([
      {
        version: 2,
        caseCount: 9,
        addedCount: 4,
        removedCount: 0,
        changedCount: 1,
        changeKind: "collected",
        createdAt: "t2",
      },
      {
        version: 1,
        caseCount: 5,
        addedCount: 5,
        removedCount: 0,
        changedCount: 0,
        changeKind: "collected",
        createdAt: "t1",
      },
    ]);
    expect(sizes.map((s) => [s.version, s.caseCount, s.addedCount])).toEqual([
      [1, 5, 5],
      [2, 9, 4],
    ]);
  });
});
