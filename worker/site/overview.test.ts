import { describe, expect, it } from "vitest";
import { agentOverview, dayRange, trendMarker, type WindowDigest } from "./overview";

const window = (seq: number, passRate: number, low: number, high: number, insufficient = false): WindowDigest => ({
  seq,
  closedAt: `2026-12-0${seq}T00:00:00.000Z`,
  passRate,
  passRateCI: { low, high },
  insufficient,
  traceCount: 50,
  gradedCount: 50,
});

describe("trendMarker", () => {
  it("says better only when the newest interval sits wholly above the oldest", () => {
    expect(trendMarker([window(3, 0.9, 0.8, 0.95), window(2, 0.6, 0.5, 0.7), window(1, 0.4, 0.3, 0.5)]).kind).toBe(
      "better",
    );
    expect(trendMarker([window(2, 0.4, 0.3, 0.5), window(1, 0.9, 0.8, 0.95)]).kind).toBe("worse");
    expect(trendMarker([window(2, 0.7, 0.5, 0.85), window(1, 0.6, 0.45, 0.75)]).kind).toBe("steady");
  });

  it("ignores windows with too few graded traces", () => {
    const noisy = window(3, 0.0, 0.0, 0.3, true);
    expect(trendMarker([noisy, window(2, 0.9, 0.8, 0.95)]).kind).toBe("unknown");
    expect(trendMarker([noisy, window(2, 0.9, 0.8, 0.95), window(1, 0.9, 0.8, 0.95)]).kind).toBe("steady");
  });
});

describe("agentOverview", () => {
  it("fills every day of the range and explains why traces wait", () => {
    const days = dayRange("2026-12-06", 3);
    expect(days).toEqual(["2026-12-04", "2026-12-05", "2026-12-06"]);
    const o = agentOverview(
      {
        agent: "support-bot",
        states: { finished: 4, graded: 10, quarantined: 1 },
        days: [{ day: "2026-12-05", traces: 15 }],
        enabledGraders: 0,
        windows: [window(2, 0.5, 0.1, 0.9, true), window(1, 0.8, 0.6, 0.9)],
      },
      days,
    );
    expect(o.tracesPerDay.map((d) => d.traces)).toEqual([0, 15, 0]);
    expect(o.ungraded).toEqual({ count: 4, assembling: 0, reason: "no_enabled_graders" });
    // The newest window has too few graded traces, so the current pass rate is the one before it.
    expect(o.passRate).toMatchObject({ value: 0.8, windowSeq: 1 });
    expect(o.totalTraces).toBe(15);
  });
});
