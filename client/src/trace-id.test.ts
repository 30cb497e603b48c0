/**
 * The client derives the same trace id as the server for any trace sent without one:
 * random traces (fields in any order, epoch or offset times, missing span status,
 * extra fields) are parsed by the server's own schema and hashed by its own function.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { traceSchema } from "../../worker/domain/trace";
import { contentDerivedTraceId } from "../../worker/ingest/native";
import { deriveTraceId, toJsonValue, withTraceId } from "./trace-id.js";

const json = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const time = fc.oneof(
  fc.integer({ min: 0, max: 4_000_000_000_000 }),
  fc
    .tuple(fc.integer({ min: 946_684_800_000, max: 4_000_000_000_000 }), fc.constantFrom("Z", "+02:00", "-05:30"))
    .map(([ms, zone]) => new Date(ms).toISOString().replace("Z", zone)),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const span = (id: string) =>
  fc.record(
    {
      id: fc.constant(id),
      type: fc.constantFrom("llm", "tool", "retrieval", "step", "agent"),
      name: fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
      startTime: maybe(time),
      status: maybe(fc.constantFrom("ok", "error")),
      usage: maybe(fc.record({ extra: fc.nat(), outputTokens: fc.nat(), inputTokens: fc.nat() })),
      input: maybe(json),
      output: maybe(json),
      model: maybe(fc.constantFrom("gpt-4o-mini", "local")),
      custom: maybe(json),
    },
    { requiredKeys: ["id", "type", "name"] },
  );

const trace = fc
  .record(
    {
      spans: fc
        .integer({ min: 0, max: 3 })
        .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => span(`s${i}`)))),
      output: maybe(json),
      extra: maybe(json),
      agent: fc.constantFrom("support-bot", "a"),
      input: maybe(json),
      version: maybe(fc.oneof(fc.constant(null), fc.string({ maxLength: 5 }))),
      metadata: maybe(fc.dictionary(fc.string({ maxLength: 4 }), json)),
      tags: maybe(fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 3 })),
      status: maybe(fc.constantFrom("ok", "error")),
    },
    { requiredKeys: ["agent"] },
  )
  // Shuffle the key order: the server's parser fixes it, so the client must too.
  .chain((t) => fc.shuffledSubarray(Object.keys(t), { minLength: Object.keys(t).length }).map((keys) => ({ t, keys })))
  .map(({ t, keys }) => Object.fromEntries(keys.map((k) => [k, (t as Record<string, unknown>)[k]])));

async function serverId(body: unknown): Promise<string> {
  return contentDerivedTraceId(traceSchema.parse(body));
}

describe("content-derived trace ids", () => {
  it("match the server's for any trace the server accepts", async () => {
    await fc.assert(
      fc.asyncProperty(trace, async (t) => {
        const wire = JSON.parse(JSON.stringify(toJsonValue(t)));
        expect(await deriveTraceId(wire)).toBe(await serverId(wire));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the caller's id, and the server derives the sent trace's own id from the sent body", async () => {
    expect((await withTraceId({ id: "run-42", agent: "a" })).id).toBe("run-42");
    const sent = await withTraceId({ output: "hi", agent: "a", startTime: 0 });
    const { id, ...rest } = sent;
    expect(id).toBe(await serverId(rest));
    expect(id).toMatch(/^t-[0-9a-f]{32}$/);
  });

  it("differ when the content differs", async () => {
    expect(await deriveTraceId({ agent: "a", output: 1 })).not.toBe(await deriveTraceId({ agent: "a", output: 2 }));
  });

  it("record values JSON cannot hold without throwing", () => {
    const cyclic: Record<string, unknown> = { n: 1n };
    cyclic.self = cyclic;
    expect(toJsonValue(cyclic)).toEqual({ n: "1", self: "[Circular]" });
  });
});
