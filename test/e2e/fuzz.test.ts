/**
 * Property-based fuzzing of every write endpoint of the running server: native
 * traces, OTLP/JSON, OTLP/protobuf, dataset import, graders and datasets, with names
 * (agents, versions, tags, metadata keys, graders, datasets) of arbitrary Unicode. Malformed input of every
 * kind must get a well-formed 4xx answer (never a 5xx), and the server must keep
 * serving. `FUZZ_RUNS` sets the number of inputs (npm run fuzz uses 10,000; the
 * default keeps `npm test` quick).
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonRequest, protobufRequest } from "../fixtures/otlp";
import { api, createProject, flywheel } from "./client";

const RUNS = Number(process.env.FUZZ_RUNS ?? 800);

type Target = "native" | "otlp-json" | "otlp-proto" | "import" | "grader" | "dataset" | "loop";
interface Attempt {
  target: Target;
  /** For `loop`: the route of the review, regrade or eval-run API the body goes to. */
  path?: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

const encoder = new TextEncoder();
const validTrace = {
  id: "fuzz-base",
  agent: "fuzz-bot",
  input: "hi",
  output: "hello",
  spans: [{ id: "s1", type: "llm", name: "chat", usage: { inputTokens: 1, outputTokens: 2 } }],
};
const otlpSpec = [
  {
    resource: { "service.name": "fuzz-svc" },
    spans: [
      { spanId: "1111111111111111", name: "root", start: 0, end: 10, attributes: { "gen_ai.operation.name": "chat" } },
      { spanId: "2222222222222222", parentSpanId: "1111111111111111", name: "tool", start: 1, end: 2 },
    ],
  },
];
/** Strings of `otlpSpec`, found in its protobuf encoding by their bytes. */
const OTLP_STRINGS = ["fuzz-svc", "root", "gen_ai.operation.name", "chat", "tool"];
const validOtlpJson = jsonRequest(otlpSpec);
const validOtlpProto = protobufRequest(otlpSpec);

/** Replaces one value somewhere inside a JSON document with an arbitrary one. */
function mutateJson(doc: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || doc === null || typeof doc !== "object") return replacement;
  const entries = Array.isArray(doc) ? doc.map((v, i) => [i, v] as const) : Object.entries(doc);
  if (entries.length === 0) return replacement;
  const [key, value] = entries[path[0]! % entries.length]!;
  const copy: any = Array.isArray(doc) ? [...doc] : { ...doc };
  copy[key] = mutateJson(value, path.slice(1), replacement);
  return copy;
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const path = fc.array(fc.nat(40), { maxLength: 6 });
const bytes = fc.uint8Array({ maxLength: 2048 });

/**
 * Names as users (and broken clients) send them: any code points, emoji, unpaired
 * surrogate halves, long runs of multi-byte letters. A 92-emoji agent once made an R2 key
 * too long and a 503.
 */
const unicodeName = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 120 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 200 }),
  fc.nat(250).map((n) => "\u{1F600}".repeat(n + 1)),
  fc.nat(250).map((n) => "\u4e2d".repeat(n + 1)),
);
const namedTrace = fc
  .record({
    agent: unicodeName,
    version: unicodeName,
    tags: fc.array(unicodeName, { maxLength: 3 }),
    metadataKey: unicodeName,
  })
  .map(({ agent, version, tags, metadataKey }) => ({
    ...validTrace,
    id: undefined,
    agent,
    version,
    tags,
    metadata: { [metadataKey]: 1 },
  }));

const nativeBodies = fc.oneof(
  namedTrace.map((t) => encoder.encode(JSON.stringify(t))),
  jsonValue.map((v) => encoder.encode(JSON.stringify(v))),
  fc.tuple(path, jsonValue).map(([p, v]) => encoder.encode(JSON.stringify(mutateJson(validTrace, p, v)))),
  fc.tuple(path, jsonValue).map(([p, v]) => encoder.encode(JSON.stringify([validTrace, mutateJson(validTrace, p, v)]))),
  fc.string().map((s) => encoder.encode(s)),
  bytes,
);
const otlpJsonBodies = fc.oneof(
  fc.tuple(path, jsonValue).map(([p, v]) => encoder.encode(JSON.stringify(mutateJson(validOtlpJson, p, v)))),
  jsonValue.map((v) => encoder.encode(JSON.stringify(v))),
  bytes,
);
const otlpProtoBodies = fc.oneof(
  bytes,
  fc.tuple(fc.nat(), fc.nat(255)).map(([at, value]) => {
    const copy = validOtlpProto.slice();
    copy[at % copy.length] = value;
    return copy;
  }),
  fc.nat().map((cut) => validOtlpProto.slice(0, cut % validOtlpProto.length)),
  // A string's bytes made invalid UTF-8 (the framing intact): refused with 400, never stored mangled.
  fc.tuple(fc.constantFrom(...OTLP_STRINGS), fc.constantFrom(0x80, 0xc0, 0xed, 0xf5, 0xff)).map(([text, byte]) => {
    const copy = validOtlpProto.slice();
    copy[Buffer.from(copy).indexOf(text)] = byte;
    return copy;
  }),
);
const importBodies = fc.oneof(
  fc.array(jsonValue, { maxLength: 5 }).map((lines) => encoder.encode(lines.map((l) => JSON.stringify(l)).join("\n"))),
  fc.array(fc.string(), { maxLength: 5 }).map((lines) => encoder.encode(lines.join("\n"))),
  bytes,
);
const graderBodies = fc
  .record({ agent: unicodeName, name: unicodeName, text: unicodeName })
  .map(({ agent, name, text }) =>
    encoder.encode(JSON.stringify({ agent, name, definition: { kind: "rule", check: "contains", text } })),
  );
const datasetBodies = unicodeName.map((name) => encoder.encode(JSON.stringify({ name })));

/** The review, regrade and eval-run write routes, with plausible bodies bent out of shape. */
const loopAttempts = fc
  .tuple(
    unicodeName,
    fc.constantFrom(
      { path: "/api/review-queue", body: { traceId: "t-1", note: "why" } },
      { path: "/api/review-queue/rvi_missing/verdict", body: { verdict: "pass", reviewer: "ana" } },
      {
        path: "/api/eval-runs",
        body: { agent: "a", candidate: { label: "v2" }, dataset: "agent:a", datasetVersion: 1 },
      },
      // Any text as the `cases` query (only "true" and "false" are taken).
      {
        path: "/api/eval-runs?cases={agent}",
        body: { agent: "a", candidate: { label: "v2" }, dataset: "agent:a", datasetVersion: 1 },
      },
      // Any text as the `inputs` query (only whole numbers 0 to 500 are taken).
      {
        path: "/api/eval-runs?inputs={agent}",
        body: { agent: "a", candidate: { label: "v2" }, dataset: "agent:a", datasetVersion: 1 },
      },
      { path: "/api/eval-runs/evr_missing/results", body: { answers: [{ caseId: "c", repeat: 0, answer: "x" }] } },
      {
        path: "/api/eval-runs/{run}/results",
        body: {
          answers: [
            { caseId: "{case}", repeat: 0, answer: { output: "x", metadata: { plan: "pro" }, tags: ["beta"] } },
          ],
        },
      },
      { path: "/api/agents/{agent}/regrade", body: { from: "2026-01-01T00:00:00Z" } },
      { path: "/api/agents/{agent}/grader-links", body: { graderA: "g1", graderB: "g2", criterion: "c" } },
    ),
    path,
    jsonValue,
  )
  .map(([agent, route, p, v]) => ({
    target: "loop" as const,
    path: route.path.replace("{agent}", encodeURIComponent(agent)),
    // The open run and its case exist only once beforeAll ran: filled in when sent.
    body: encoder.encode(JSON.stringify(mutateJson(route.body, p, v))),
    headers: {},
  }));

const hostileHeaders = fc.record(
  {
    "content-encoding": fc.constantFrom("gzip", "br", "identity", "x-nope"),
    "content-digest": fc.oneof(fc.string(), fc.constant("sha-256=:AAAA:"), fc.constant("md5=:x:")),
  },
  { requiredKeys: [] },
);

const attempts: fc.Arbitrary<Attempt> = fc.oneof(
  fc.tuple(nativeBodies, hostileHeaders).map(([body, headers]) => ({ target: "native" as const, body, headers })),
  fc.tuple(otlpJsonBodies, hostileHeaders).map(([body, headers]) => ({ target: "otlp-json" as const, body, headers })),
  fc
    .tuple(otlpProtoBodies, hostileHeaders)
    .map(([body, headers]) => ({ target: "otlp-proto" as const, body, headers })),
  importBodies.map((body) => ({ target: "import" as const, body, headers: {} })),
  graderBodies.map((body) => ({ target: "grader" as const, body, headers: {} })),
  datasetBodies.map((body) => ({ target: "dataset" as const, body, headers: {} })),
  loopAttempts,
);

let apiKey = "";
let datasetId = "";
/** A client-side eval run that fuzzed answers go to, and one already finished, for `?wait`. */
let openRun = { id: "", caseId: "" };
let finishedRunId = "";
beforeAll(async () => {
  ({ apiKey } = await createProject("fuzz"));
  const post = async (route: string, body: unknown) => {
    const res = await api(apiKey, route, { method: "POST", body: JSON.stringify(body) });
    expect(res.status, route).toBeLessThan(300);
    return (await res.json()) as any;
  };
  datasetId = (await post("/api/datasets", { name: "fuzz-import" })).id;
  await post("/api/graders", {
    agent: "fuzz-eval",
    name: "exact",
    definition: { kind: "metric", metric: "exact_match" },
  });
  const evalSet = await post("/api/datasets", { name: "fuzz-eval", agent: "fuzz-eval" });
  await post(`/api/datasets/${evalSet.id}/cases`, { cases: [{ input: "q", expected: "a" }] });
  const run = () =>
    post("/api/eval-runs", {
      agent: "fuzz-eval",
      candidate: { label: "fuzz" },
      dataset: evalSet.id,
      datasetVersion: "latest",
    });
  const open = await run();
  openRun = { id: open.id, caseId: open.cases[0].caseId };
  const finished = await run();
  await post(`/api/eval-runs/${finished.id}/results`, {
    answers: [{ caseId: finished.cases[0].caseId, repeat: 0, answer: "a" }],
  });
  finishedRunId = finished.id;
});

function send(attempt: Attempt): Promise<Response> {
  const routes: Record<Target, [string, string]> = {
    native: ["/api/traces", "application/json"],
    "otlp-json": ["/v1/traces", "application/json"],
    "otlp-proto": ["/api/public/otel/v1/traces", "application/x-protobuf"],
    import: [`/api/datasets/${datasetId}/import`, "application/x-ndjson"],
    grader: ["/api/graders", "application/json"],
    dataset: ["/api/datasets", "application/json"],
    loop: [(attempt.path ?? "/api/review-queue").replace("{run}", openRun.id), "application/json"],
  };
  const [route, contentType] = routes[attempt.target];
  const body =
    attempt.target === "loop"
      ? encoder.encode(new TextDecoder().decode(attempt.body).replaceAll("{case}", openRun.caseId))
      : attempt.body;
  return api(apiKey, route, {
    method: "POST",
    body,
    headers: { "content-type": contentType, ...attempt.headers },
  });
}

describe("fuzzing the write endpoints", () => {
  it(`answers ${RUNS} malformed inputs with well-formed errors and no 5xx`, async () => {
    const counts = { sent: 0, accepted: 0, refused: 0, serverErrors: 0 };
    await fc.assert(
      fc.asyncProperty(attempts, async (attempt) => {
        const res = await send(attempt);
        counts.sent++;
        const text = await res.text();
        expect(res.status, `${attempt.path ?? attempt.target}: ${text.slice(0, 200)}`).toBeLessThan(500);
        if (res.status < 300) {
          counts.accepted++;
          return;
        }
        counts.refused++;
        const type = res.headers.get("content-type") ?? "";
        if (type.includes("protobuf")) return; // a google.rpc.Status message
        const body = JSON.parse(text) as {
          error?: { code: unknown; message: unknown };
          code?: unknown;
          message?: unknown;
        };
        if (attempt.target.startsWith("otlp")) {
          // OTLP errors are google.rpc.Status: {code, message}; auth errors use the API's shape.
          const message = body.message ?? body.error?.message;
          expect(typeof message).toBe("string");
        } else {
          expect(typeof body.error?.code).toBe("string");
          expect(typeof body.error?.message).toBe("string");
          expect((body.error!.message as string).length).toBeGreaterThan(10);
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect((await fetch(`${flywheel().url}/api/health`)).status).toBe(200);
    // ?wait on a finished run answers at once; any other value is a 400 that says why.
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String)), async (wait) => {
        const res = await api(apiKey, `/api/eval-runs/${finishedRunId}?wait=${encodeURIComponent(wait)}`);
        const text = await res.text();
        expect(res.status, `wait=${wait}: ${text.slice(0, 200)}`).toBeLessThan(500);
        if (res.status !== 200) expect(typeof JSON.parse(text).error?.message).toBe("string");
      }),
      { numRuns: Math.min(RUNS, 200) },
    );
    // `npm run fuzz` reports its figures; the suite's own run stays quiet.
    if (process.env.FUZZ_RUNS) {
      console.log(
        JSON.stringify({
          fuzzInputs: counts.sent,
          accepted: counts.accepted,
          refused: counts.refused,
          serverErrors: 0,
        }),
      );
    }
  }, 1_800_000);
});
