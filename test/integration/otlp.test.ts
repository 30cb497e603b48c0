/**
 * OTLP/HTTP export through the real worker: protobuf and JSON, gzip, partial
 * success, the OTLP error bodies, limits, auth on the Langfuse alias, retries and
 * spans of one trace spread over several requests.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { env } from "cloudflare:workers";
import { brotliDecompressSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { StatusSchema } from "../../worker/otlp/gen/google/rpc/status_pb";
import { ExportTraceServiceResponseSchema } from "../../worker/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { jsonBody, jsonRequest, protobufRequest, type SpanSpec } from "../fixtures/otlp";
import { call, createProject, getJson } from "./helpers";
import { agentSpan, chatSpan, hex, PROTOBUF, resource } from "./otlp-helpers";

let project: { id: string; apiKey: string };
beforeAll(async () => {
  project = await createProject("otlp");
});

/** An agent run: root agent span, an LLM call and a tool call under it. */
function agentRun(traceId = hex(16)) {
  const root = hex(8);
  const spans: SpanSpec[] = [
    agentSpan(traceId, root),
    chatSpan(traceId, root),
    {
      traceId,
      spanId: hex(8),
      parentSpanId: root,
      name: "execute_tool lookup_order",
      start: 900,
      end: 1400,
      attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order" },
    },
  ];
  return { traceId, spans };
}

function postOtlp(body: BodyInit, contentType: string, headers: Record<string, string> = {}, path = "/v1/traces") {
  return call(path, {
    method: "POST",
    headers: { authorization: `Bearer ${project.apiKey}`, "content-type": contentType, ...headers },
    body,
  });
}

const protobufOf = (spans: SpanSpec[]) => protobufRequest([{ resource, spans }]);
const jsonOf = (spans: SpanSpec[]) => jsonBody(jsonRequest([{ resource, spans }]));

/** Exports `spans` as protobuf, then as JSON; each answer must be 200, and its partialSuccess is returned. */
async function partialSuccesses(spans: SpanSpec[]) {
  const partials: ({ rejectedSpans?: string | number | bigint; errorMessage?: string } | undefined)[] = [];
  for (const [body, type] of [
    [protobufOf(spans), PROTOBUF],
    [jsonOf(spans), "application/json"],
  ] as const) {
    const res = await postOtlp(body, type);
    expect(res.status).toBe(200);
    partials.push(
      type === PROTOBUF
        ? fromBinary(ExportTraceServiceResponseSchema, new Uint8Array(await res.arrayBuffer())).partialSuccess
        : (await res.json<{ partialSuccess?: { rejectedSpans?: string; errorMessage?: string } }>()).partialSuccess,
    );
  }
  return partials;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function readTrace(traceId: string) {
  const res = await getJson(project.apiKey, `/api/traces/${traceId}`);
  expect(res.status).toBe(200);
  return res.json<Record<string, any>>();
}

async function rawObjects(): Promise<string[]> {
  return (await env.TRACES.list({ prefix: `otlp/${project.id}/` })).objects.map((o) => o.key);
}

describe("POST /v1/traces", () => {
  it("accepts protobuf, answers an empty protobuf ExportTraceServiceResponse and stores the raw bytes (compressed) by SHA-256", async () => {
    const run = agentRun();
    const body = protobufOf(run.spans);
    const res = await postOtlp(body, PROTOBUF);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(PROTOBUF);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(fromBinary(ExportTraceServiceResponseSchema, bytes).partialSuccess).toBeUndefined();

    const sha = await sha256Hex(body);
    const object = await env.TRACES.get(`otlp/${project.id}/${sha}.pb`);
    expect(object).not.toBeNull();
    expect(object!.customMetadata).toMatchObject({ contentSha256: sha, contentEncoding: "br" });
    expect(new Uint8Array(brotliDecompressSync(new Uint8Array(await object!.arrayBuffer())))).toEqual(body);

    const trace = await readTrace(run.traceId);
    expect(trace).toMatchObject({ id: run.traceId, agent: "support-bot", state: "assembling" });
    expect(trace.spans).toHaveLength(3);
    expect(trace.spans.find((s: any) => s.type === "llm")).toMatchObject({
      model: "gpt-4o-mini",
      usage: { inputTokens: 120, outputTokens: 30 },
    });
  });

  it("accepts JSON and answers JSON", async () => {
    const run = agentRun();
    const res = await postOtlp(jsonOf(run.spans), "application/json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({});
    expect((await readTrace(run.traceId)).spans).toHaveLength(3);
  });

  it("accepts gzip bodies in both formats and stores the body exactly as it was sent", async () => {
    const a = agentRun();
    const b = agentRun();
    const proto = protobufOf(a.spans);
    const wire = await gzip(proto);
    expect((await postOtlp(wire, PROTOBUF, { "content-encoding": "gzip" })).status).toBe(200);
    expect(
      (await postOtlp(await gzip(jsonOf(b.spans)), "application/json", { "content-encoding": "gzip" })).status,
    ).toBe(200);
    expect((await readTrace(a.traceId)).spans).toHaveLength(3);
    expect((await readTrace(b.traceId)).spans).toHaveLength(3);

    const object = await env.TRACES.get(`otlp/${project.id}/${await sha256Hex(proto)}.pb`);
    expect(object!.customMetadata).toMatchObject({ contentEncoding: "gzip" });
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(wire);
  });

  it("treats a retry with another encoding of the same content as the same request", async () => {
    const run = agentRun();
    const body = protobufOf(run.spans);
    expect((await postOtlp(body, PROTOBUF)).status).toBe(200);
    // An exporter that turned on compression between attempts: other stored bytes, same content, no 503.
    const retried = await postOtlp(await gzip(body), PROTOBUF, { "content-encoding": "gzip" });
    expect(retried.status).toBe(200);
    expect(
      fromBinary(ExportTraceServiceResponseSchema, new Uint8Array(await retried.arrayBuffer())).partialSuccess,
    ).toBeUndefined();
    const sha = await sha256Hex(body);
    const keys = (await rawObjects()).filter((key) => key.includes(sha));
    expect(keys).toHaveLength(1);
    expect((await readTrace(run.traceId)).spans).toHaveLength(3);
  });

  it("takes a retry of a request stored uncompressed by an earlier version as the same request", async () => {
    const run = agentRun();
    const body = protobufOf(run.spans);
    const sha = await sha256Hex(body);
    // What ingest wrote before raw requests were compressed: the content itself, its hash in the metadata.
    await env.TRACES.put(`otlp/${project.id}/${sha}.pb`, body, { sha256: sha, customMetadata: { sha256: sha } });
    const res = await postOtlp(body, PROTOBUF);
    expect(res.status).toBe(200);
    expect((await readTrace(run.traceId)).spans).toHaveLength(3);
  });

  it("refuses a span over MAX_TRACE_BYTES in partialSuccess and stores the rest of its batch", async () => {
    const run = agentRun();
    const huge: SpanSpec = {
      traceId: run.traceId,
      spanId: hex(8),
      parentSpanId: run.spans[0]!.spanId,
      name: "huge tool",
      start: 1000,
      end: 1100,
      attributes: { "gen_ai.tool.call.result": "x".repeat(Number(env.MAX_TRACE_BYTES) + 10) },
    };
    for (const partial of await partialSuccesses([...run.spans, huge])) {
      expect(Number(partial?.rejectedSpans)).toBe(1);
      expect(partial?.errorMessage).toContain(`span ${huge.spanId}`);
      expect(partial?.errorMessage).toContain("MAX_TRACE_BYTES");
    }
    const trace = await readTrace(run.traceId);
    expect(trace.spans.map((s: any) => s.id).sort()).toEqual(run.spans.map((s) => s.spanId).sort());
  });

  it("answers 503 with Retry-After when the stored copy of a request holds other content", async () => {
    const run = agentRun();
    const body = protobufOf(run.spans);
    const key = `otlp/${project.id}/${await sha256Hex(body)}.pb`;
    // Damage in place: the key claims this content, the object holds other bytes.
    await env.TRACES.put(key, await gzip(new TextEncoder().encode("not this request")), {
      customMetadata: { contentSha256: "0".repeat(64) },
    });
    const res = await postOtlp(body, PROTOBUF);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).not.toBeNull();
    expect((await getJson(project.apiKey, `/api/traces/${run.traceId}`)).status).toBe(404);
  });

  it("stores the good spans and reports one bad span as partialSuccess", async () => {
    const run = agentRun();
    const bad: SpanSpec = { traceId: run.traceId, spanId: "zz", name: "broken", start: 10, end: 20 };
    for (const partial of await partialSuccesses([...run.spans, bad])) {
      expect(Number(partial?.rejectedSpans)).toBe(1);
      expect(partial?.errorMessage).toMatch(/spanId/);
    }
    expect((await readTrace(run.traceId)).spans).toHaveLength(3);
  });

  it("answers an undecodable body with 400 and a google.rpc.Status in the request's format, storing nothing", async () => {
    const before = await rawObjects();
    const proto = await postOtlp(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), PROTOBUF);
    expect(proto.status).toBe(400);
    expect(proto.headers.get("content-type")).toBe(PROTOBUF);
    expect(proto.headers.get("retry-after")).toBeNull();
    expect(proto.headers.get("flywheel-error-code")).toBe("invalid_otlp_body");
    const status = fromBinary(StatusSchema, new Uint8Array(await proto.arrayBuffer()));
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/not a valid protobuf ExportTraceServiceRequest/);

    const json = await postOtlp("{not json", "application/json");
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({
      code: 3,
      message: expect.stringMatching(/JSON/),
      error: { code: "invalid_otlp_body" },
    });
    expect(await rawObjects()).toEqual(before);
  });

  it("refuses with 400 a body whose span name is not UTF-8, storing nothing rather than a mangled name", async () => {
    const before = await rawObjects();
    const run = agentRun();
    const body = protobufRequest([{ resource, spans: [{ ...run.spans[0]!, name: "MARK broken name" }] }]);
    body[Buffer.from(body).indexOf("MARK")] = 0xff;
    const res = await postOtlp(body, PROTOBUF);
    expect(res.status).toBe(400);
    expect(res.headers.get("flywheel-error-code")).toBe("invalid_otlp_body");
    const status = fromBinary(StatusSchema, new Uint8Array(await res.arrayBuffer()));
    expect(status.message).toMatch(/a span name is not valid UTF-8/);
    expect(await rawObjects()).toEqual(before);
  });

  it("answers an unsupported content type with 415", async () => {
    const res = await postOtlp("hello", "text/plain");
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
  });

  it("refuses with 413 a gzip body whose decompressed size passes the limit, storing nothing", async () => {
    const before = await rawObjects();
    const limit = Number(env.MAX_BODY_BYTES);
    const huge = new Uint8Array(limit + 1024).fill(0x20); // whitespace: valid JSON padding
    huge.set(new TextEncoder().encode('{"resourceSpans":[]}'));
    const res = await postOtlp(await gzip(huge), "application/json", { "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ message: expect.stringContaining(String(limit)) });
    expect(res.headers.get("flywheel-error-code")).toBe("payload_too_large");
    expect(await rawObjects()).toEqual(before);
  });

  it("takes Basic base64(projectId:apiKey) on the Langfuse alias and refuses another project's id", async () => {
    const run = agentRun();
    const basic = (id: string) => ({ authorization: `Basic ${btoa(`${id}:${project.apiKey}`)}` });
    const alias = "/api/public/otel/v1/traces";
    const ok = await postOtlp(protobufOf(run.spans), PROTOBUF, basic(project.id), alias);
    expect(ok.status).toBe(200);
    expect((await readTrace(run.traceId)).spans).toHaveLength(3);

    const other = await createProject("other");
    const refused = await postOtlp(protobufOf(agentRun().spans), PROTOBUF, basic(other.id), alias);
    expect(refused.status).toBe(401);
    expect(fromBinary(StatusSchema, new Uint8Array(await refused.arrayBuffer())).code).toBe(16);
    // The other project cannot read this project's trace either.
    expect((await getJson(other.apiKey, `/api/traces/${run.traceId}`)).status).toBe(404);
  });

  it("counts the spans of a retried export once", async () => {
    const run = agentRun();
    const body = protobufOf(run.spans);
    expect((await postOtlp(body, PROTOBUF)).status).toBe(200);
    expect((await postOtlp(body, PROTOBUF)).status).toBe(200);
    // The same spans in the other format are still the same spans.
    expect((await postOtlp(jsonOf(run.spans), "application/json")).status).toBe(200);
    const trace = await readTrace(run.traceId);
    expect(trace.spans).toHaveLength(3);
    expect(new Set(trace.spans.map((s: any) => s.id)).size).toBe(3);
  });

  it("assembles one trace from spans sent over several requests in any order", async () => {
    const run = agentRun();
    const [root, llm, tool] = run.spans;
    expect((await postOtlp(jsonOf([tool!]), "application/json")).status).toBe(200);
    const partial = await readTrace(run.traceId);
    expect(partial.spans).toHaveLength(1);
    expect((await postOtlp(protobufOf([llm!]), PROTOBUF)).status).toBe(200);
    expect((await postOtlp(protobufOf([root!]), PROTOBUF)).status).toBe(200);
    const trace = await readTrace(run.traceId);
    expect(trace.spans).toHaveLength(3);
    expect(trace.agent).toBe("support-bot");
    const rootSpan = trace.spans.find((s: any) => s.id === root!.spanId);
    expect(rootSpan.parentId ?? null).toBeNull();
    for (const child of [llm!, tool!]) {
      expect(trace.spans.find((s: any) => s.id === child.spanId).parentId).toBe(root!.spanId);
    }
  });

  it("documents both paths in the OpenAPI document", async () => {
    const res = await call("/api/openapi.json");
    const text = await res.text();
    expect(res.status, text.slice(0, 500)).toBe(200);
    const doc = JSON.parse(text) as { paths: Record<string, unknown> };
    expect(doc.paths["/v1/traces"]).toHaveProperty("post");
    expect(doc.paths["/api/public/otel/v1/traces"]).toHaveProperty("post");
  });
});
