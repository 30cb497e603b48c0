import { describe, expect, it } from "vitest";
import type { OtlpSpanRecord } from "./span-record.js";
import { byStartTime, findRoot, resolveParents } from "./span-tree.js";

function record(spanId: string, parentSpanId: string | null, startNanos: string): OtlpSpanRecord {
  return {
    traceId: "a".repeat(32),
    spanId,
    parentSpanId,
    name: spanId,
    kind: 1,
    startTime: "2026-11-26T10:00:00.000Z",
    endTime: null,
    startTimeUnixNano: startNanos,
    endTimeUnixNano: null,
    status: { code: 0, message: "" },
    attributes: {},
    resource: {},
    scope: { name: "", version: "" },
    events: [],
  };
}

describe("span tree", () => {
  it("orders by nanosecond start even within one millisecond", () => {
    const spans = [record("b", null, "1764151200000000002"), record("a", null, "1764151200000000001")];
    expect(byStartTime(spans).map((s) => s.spanId)).toEqual(["a", "b"]);
  });

  it("drops links to parents that are not in the set", () => {
    const parents = resolveParents([record("child", "missing", "2"), record("other", "child", "3")]);
    expect(Object.fromEntries(parents)).toEqual({ child: null, other: "child" });
  });

  it("cuts loops of parent links so every span reaches a root", () => {
    const spans = [record("a", "c", "1"), record("b", "a", "2"), record("c", "b", "3"), record("self", "self", "4")];
    const parents = resolveParents(spans);
    expect(parents.get("self")).toBeNull();
    const roots = ["a", "b", "c"].filter((id) => parents.get(id) === null);
    expect(roots).toHaveLength(1);
    for (const id of ["a", "b", "c"]) {
      let current: string | null = id;
      for (let steps = 0; current !== null; steps++) {
        expect(steps).toBeLessThan(4);
        current = parents.get(current) ?? null;
      }
    }
  });

  it("finds the earliest span without a present parent as the root", () => {
    const spans = [record("late-root", null, "5"), record("orphan", "gone", "3"), record("child", "orphan", "4")];
    expect(findRoot(spans)?.spanId).toBe("orphan");
  });
});
