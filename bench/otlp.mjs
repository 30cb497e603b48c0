#!/usr/bin/env node
/**
 * @module `npm run bench:otlp`: OTLP/HTTP protobuf ingest throughput, from one run on
 * one server (wrangler dev, as `npm start` runs it).
 *
 *   noopRps      GET /api/health (no storage), the trivial-route ceiling
 *   spansPerSec  spans acknowledged per second by POST /v1/traces, in batches of
 *                --batch spans (default 512: 16 agent runs of 32 spans, ~1 KB each,
 *                GenAI semantic-convention attributes), every request with fresh trace ids
 *
 * The payload is made by the OpenTelemetry JS exporter's own serializer
 * (ProtobufTraceSerializer) from spans recorded with the real SDK.
 * Options: --duration S (default 10), --connections N (default 8: with ~400 KB bodies more
 * connections only queue, raising p99 and timing requests out), --batch N (default 512),
 * --floor (also measure POST /__bench/r2-put with the same bodies: r2PutRps),
 * --url U --key K (measure a server already running, e.g. one started with --inspect).
 * The last line printed is one JSON object with the figures.
 */
import { context, trace as otelTrace, SpanKind } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import autocannon from "autocannon";
import { measure } from "./lib/load.mjs";
import { createProject, startServer } from "./lib/server.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]?.startsWith("--") ? "1" : (all[i + 1] ?? "1")]] : pairs), []),
);
const duration = Number(args.duration ?? 10);
const connections = Number(args.connections ?? 8);
const batchSpans = Number(args.batch ?? 512);
const SPANS_PER_TRACE = 32;

/** Agent runs recorded with the real SDK: an agent span, then alternating LLM calls and tool calls. */
function recordAgentRuns(spanCount) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "bench-service", "service.version": "1.4.2", "deployment.environment": "bench" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("bench-agent-instrumentation", "0.3.0");
  for (let run = 0; run * SPANS_PER_TRACE < spanCount; run++) {
    const root = tracer.startSpan("invoke_agent support-bot", {
      kind: SpanKind.SERVER,
      attributes: {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "support-bot",
        "gen_ai.agent.version": "prompt-v7",
        "gen_ai.prompt": "Summarise the customer's last three orders and flag any refund risk. Customer id u-123, region eu-west.",
        "gen_ai.completion": "The last three orders shipped on time; order A-17 was refunded once, so the refund risk is moderate.",
      },
    });
    const inRoot = otelTrace.setSpan(context.active(), root);
    const children = Math.min(SPANS_PER_TRACE, spanCount - run * SPANS_PER_TRACE) - 1;
    for (let i = 0; i < children; i++) {
      const span =
        i % 2 === 0
          ? tracer.startSpan("chat gpt-4o-mini", {
              kind: SpanKind.CLIENT,
              attributes: {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.request.temperature": 0.2,
                "gen_ai.usage.input_tokens": 812 + i,
                "gen_ai.usage.output_tokens": 96 + i,
                "gen_ai.response.finish_reasons": ["stop"],
                "gen_ai.input.messages": JSON.stringify([
                  { role: "system", parts: [{ type: "text", content: "You are a support agent for an online shop. Answer briefly and cite order ids." }] },
                  { role: "user", parts: [{ type: "text", content: `Step ${i}: what happened to my last orders, and can I still get a refund for the damaged one?` }] },
                ]),
                "gen_ai.output.messages": JSON.stringify([
                  { role: "assistant", parts: [{ type: "text", content: "Orders A-15 and A-16 were delivered; A-17 arrived damaged and is eligible for a refund until 12 Dec." }], finish_reason: "stop" },
                ]),
              },
            }, inRoot)
          : tracer.startSpan("execute_tool lookup_orders", {
              kind: SpanKind.INTERNAL,
              attributes: {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "lookup_orders",
                "gen_ai.tool.call.id": `call_${run}_${i}_9f8e7d6c5b4a`,
                "gen_ai.tool.call.arguments": JSON.stringify({ customerId: "u-123", limit: 3, include: ["items", "shipping", "refunds"] }),
                "gen_ai.tool.call.result": JSON.stringify({
                  orders: [
                    { id: "A-15", state: "delivered", total: 42.5, items: 2, carrier: "DHL", deliveredAt: "2026-11-20" },
                    { id: "A-16", state: "delivered", total: 18.0, items: 1, carrier: "UPS", deliveredAt: "2026-11-22" },
                    { id: "A-17", state: "damaged", total: 99.9, items: 3, carrier: "DHL", refundable: true, until: "2026-12-12" },
                  ],
                }),
              },
            }, inRoot);
      span.end();
    }
    root.end();
  }
  return exporter.getFinishedSpans();
}

/** The template payload and, per template trace id, every offset where its 16 bytes occur. */
function templatePayload() {
  const spans = recordAgentRuns(batchSpans);
  const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
  const traceIds = [...new Set(spans.map((s) => s.spanContext().traceId))].map((id) => Buffer.from(id, "hex"));
  const offsets = traceIds.map((id) => {
    const found = [];
    for (let at = body.indexOf(id); at !== -1; at = body.indexOf(id, at + 1)) found.push(at);
    return found;
  });
  return { body, offsets, spans: spans.length, bytesPerSpan: Math.round(body.length / spans.length) };
}

const template = templatePayload();
const runTag = Buffer.from(crypto.getRandomValues(new Uint8Array(8)));
let seq = 0;
/** The template with fresh trace ids, so every request is new work rather than a duplicate. */
function freshPayload() {
  const body = Buffer.from(template.body);
  for (const positions of template.offsets) {
    const id = Buffer.alloc(16);
    runTag.copy(id, 0);
    id.writeUInt32BE(seq++ >>> 0, 12);
    for (const at of positions) id.copy(body, at);
  }
  return body;
}

// --url and --key measure a server that is already running (for profiling it); otherwise one is started.
const server = args.url
  ? { url: args.url, stop: async () => {} }
  : await startServer({ vars: { BENCH_ROUTES: "1" } });
try {
  const project = args.key ? { apiKey: args.key } : await createProject(server);
  const headers = { authorization: `Bearer ${project.apiKey}`, "content-type": "application/x-protobuf" };
  const otlp = { url: `${server.url}/v1/traces`, method: "POST", headers, connections, setupRequest: (req) => ({ ...req, body: freshPayload() }) };

  await measure({ url: `${server.url}/api/health`, duration: 2, connections });
  await measure({ ...otlp, duration: 3 });

  const noop = await measure({ url: `${server.url}/api/health`, duration, connections });
  // --floor: the same bodies through POST /__bench/r2-put (read, hash, one checked R2 put), the floor of any ingest.
  const floor = args.floor
    ? await measure({ url: `${server.url}/__bench/r2-put`, method: "POST", headers, connections, duration, setupRequest: otlp.setupRequest })
    : null;
  // autocannon directly (not lib/load.mjs) to see which statuses and timeouts make up the failures.
  const raw = await autocannon({
    url: otlp.url,
    method: "POST",
    headers,
    connections,
    duration,
    requests: [{ setupRequest: otlp.setupRequest }],
  });
  const ingest = {
    rps: Math.round(raw["2xx"] / (raw.duration || duration)),
    failed: raw.non2xx + raw.errors + raw.timeouts,
    latencyP99Ms: raw.latency.p99,
    statusCodes: Object.fromEntries(Object.entries(raw.statusCodeStats ?? {}).map(([code, { count }]) => [code, count])),
    timeouts: raw.timeouts,
  };

  // The figure counts only acknowledged spans; check that an acknowledged batch really is readable.
  const firstTrace = seq;
  const sent = await fetch(`${server.url}/v1/traces`, { method: "POST", headers, body: freshPayload() });
  const traceId = Buffer.concat([runTag, Buffer.from([0, 0, 0, 0]), Buffer.alloc(4)]);
  traceId.writeUInt32BE(firstTrace >>> 0, 12);
  const check = await fetch(`${server.url}/api/traces/${traceId.toString("hex")}`, { headers });
  const readable = sent.status === 200 && check.status === 200 ? ((await check.json()).spans?.length ?? 0) : 0;

  const figures = {
    spansPerSec: Math.round(ingest.rps * template.spans),
    noopRps: noop.rps,
    ...(floor ? { r2PutRps: floor.rps } : {}),
    requestsPerSec: ingest.rps,
    batchSpans: template.spans,
    bytesPerSpan: template.bytesPerSpan,
    failed: ingest.failed,
    statusCodes: ingest.statusCodes,
    timeouts: ingest.timeouts,
    p99Ms: ingest.latencyP99Ms,
    sampleTraceSpansReadable: readable,
    sampleStatuses: [sent.status, check.status],
    connections,
    durationSeconds: duration,
  };
  console.log(
    `noop ${noop.rps} req/s | OTLP ${ingest.rps} req/s x ${template.spans} spans = ${figures.spansPerSec} spans/s (p99 ${ingest.latencyP99Ms} ms, ${ingest.failed} failed)`,
  );
  console.log(JSON.stringify(figures));
} finally {
  await server.stop();
}
