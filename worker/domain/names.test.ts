import { describe, expect, it } from "vitest";
import { describeIssues } from "../ingest/native";
import { traceObjectKey } from "../storage/r2";
import { traceSchema } from "./trace";

const problems = (trace: Record<string, unknown>) => {
  const parsed = traceSchema.safeParse({ agent: "support-bot", ...trace });
  return parsed.success ? "" : describeIssues(parsed.error, "");
};

describe("names of agents, versions and tags", () => {
  it("refuses an agent of 92 emoji with the field and the byte rule", () => {
    const agent = "\u{1F600}".repeat(92);
    expect(problems({ agent })).toBe(
      "agent: must be at most 200 bytes in UTF-8 (it is 368; letters outside ASCII take 2-4 bytes each)",
    );
    expect(problems({ agent: "\u{1F600}".repeat(50) })).toBe("");
    expect(problems({ agent: "a".repeat(200) })).toBe("");
  });

  it("refuses unpaired surrogates and control characters, naming the field", () => {
    expect(problems({ agent: "bot\ud800" })).toMatch(/^agent: must be valid Unicode text/);
    expect(problems({ version: "v\udc00" })).toMatch(/^version: must be valid Unicode text/);
    expect(problems({ tags: ["ok", "x\ud83d"] })).toMatch(/^tags\[1\]: must be valid Unicode text/);
    expect(problems({ metadata: { "k\ud800": 1 } })).toMatch(/keys must be valid Unicode text/);
    expect(problems({ agent: "a\u0007b" })).toBe("agent: must not contain control characters");
  });

  it("says a missing required field is required", () => {
    const parsed = traceSchema.safeParse({ input: "hi" });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describeIssues(parsed.error, "")).toBe("agent is required");
  });

  it("keeps every R2 key within 1024 bytes, whatever the agent", () => {
    const longId = ":".repeat(128);
    for (const agent of ["\u{1F600}".repeat(200), "\u4e2d".repeat(200), "bot\ud800", "support-bot"]) {
      const key = traceObjectKey("prj_abcdefghijklmnop", agent, longId);
      expect(new TextEncoder().encode(key).byteLength).toBeLessThanOrEqual(1024);
    }
    expect(traceObjectKey("p", "support bot", "t1")).toBe("traces/p/support%20bot/t1.json");
  });
});
