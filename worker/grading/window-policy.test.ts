import { describe, expect, it } from "vitest";
import { nextAlarmAt, retryDelayMs, shouldCloseWindow, windowPolicySchema } from "./window-policy";

const policy = { maxTraces: 50, maxAgeMs: 60_000 };
const now = 1_000_000;

describe("shouldCloseWindow", () => {
  it("closes when the window is full", () => {
    expect(shouldCloseWindow({ count: 50, oldestAt: now }, policy, now)).toBe(true);
    expect(shouldCloseWindow({ count: 49, oldestAt: now }, policy, now)).toBe(false);
  });

  it("closes when the oldest trace has waited maxAgeMs, however few traces", () => {
    expect(shouldCloseWindow({ count: 1, oldestAt: now - 60_000 }, policy, now)).toBe(true);
    expect(shouldCloseWindow({ count: 1, oldestAt: now - 59_999 }, policy, now)).toBe(false);
  });

  it("never closes an empty window", () => {
    expect(shouldCloseWindow({ count: 0, oldestAt: null }, policy, now)).toBe(false);
    expect(shouldCloseWindow({ count: 0, oldestAt: now - 1e9 }, policy, now)).toBe(false);
  });
});

describe("nextAlarmAt", () => {
  it("is when the oldest trace comes of age", () => {
    expect(nextAlarmAt({ count: 3, oldestAt: now - 10_000 }, policy, now)).toBe(now + 50_000);
  });

  it("is now for a due window, and null for an empty one", () => {
    expect(nextAlarmAt({ count: 50, oldestAt: now }, policy, now)).toBe(now);
    expect(nextAlarmAt({ count: 2, oldestAt: now - 120_000 }, policy, now)).toBe(now);
    expect(nextAlarmAt({ count: 0, oldestAt: null }, policy, now)).toBeNull();
  });

  it("is stable when an alarm fires again (at-least-once alarms)", () => {
    const state = { count: 3, oldestAt: now };
    expect(nextAlarmAt(state, policy, now + 1)).toBe(nextAlarmAt(state, policy, now + 2));
  });
});

describe("retryDelayMs", () => {
  it("backs off exponentially up to the cap", () => {
    expect([0, 1, 2, 3].map((a) => retryDelayMs(a))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(50)).toBe(300_000);
  });
});

describe("windowPolicySchema", () => {
  it("fills defaults and rejects nonsense", () => {
    expect(windowPolicySchema.parse({})).toEqual({ maxTraces: 50, maxAgeMs: 60_000 });
    expect(windowPolicySchema.safeParse({ maxTraces: 0 }).success).toBe(false);
  });
});
