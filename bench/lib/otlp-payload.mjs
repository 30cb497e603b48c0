/**
 * @module The OTLP benchmark payload: agent runs recorded with the real OpenTelemetry
 * SDK and serialized by the exporter's own ProtobufTraceSerializer, with GenAI
 * semantic-convention attributes (~1 KB a span), and fresh trace ids per request.
 */
import { context, trace as otelTrace, SpanKind } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { gzipSync } from "node:zlib";

const SPANS_PER_TRACE = 32;

/** A fixed-seed generator (mulberry32), so every run measures the same payload. */
function seededRandom(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "order refund delivery parcel damaged late tracking carrier address invoice payment card account customer support " +
  "warehouse return label exchange size colour discount voucher subscription cancel renew shipping express standard " +
  "weekend monday tuesday friday morning evening today tomorrow yesterday week month please could would should still " +
  "already never again maybe really quite very thanks hello sorry problem question answer check confirm update change " +
  "send receive arrive open box item product price total charge twice missing wrong broken working screen battery " +
  "cable charger phone laptop shoes jacket book lamp chair table kitchen garden gift birthday present urgent waiting"
).split(" ");

/**
 * Agent runs recorded with the real SDK: an agent span, then alternating LLM calls and
 * tool calls. Every run and step has its own question, answer, ids and tool results
 * (only the system prompt repeats, as it does in real agents), so a batch compresses
 * about as much as real traffic does rather than as a repeated template would.
 */
function recordAgentRuns(spanCount) {
  const random = seededRandom(42);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const words = (n) => Array.from({ length: n }, () => pick(WORDS)).join(" ");
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const day = () => `2026-${String(int(1, 12)).padStart(2, "0")}-${String(int(1, 28)).padStart(2, "0")}`;
  const orderId = () => `A-${int(10_000, 99_999)}`;

  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": "bench-service",
      "service.version": "1.4.2",
      "deployment.environment": "bench",
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("bench-agent-instrumentation", "0.3.0");
  for (let run = 0; run * SPANS_PER_TRACE < spanCount; run++) {
    const customer = `u-${int(100_000, 999_999)}`;
    const root = tracer.startSpan("invoke_agent support-bot", {
      kind: SpanKind.SERVER,
      attributes: {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "support-bot",
        "gen_ai.agent.version": "prompt-v7",
        "gen_ai.conversation.id": `conv-${int(1e8, 9e8)}`,
        "gen_ai.prompt": `Customer ${customer} asks: ${words(int(12, 20))}?`,
        "gen_ai.completion": `${words(int(15, 25))}. Order ${orderId()} ${words(6)}.`,
      },
    });
    const inRoot = otelTrace.setSpan(context.active(), root);
    const children = Math.min(SPANS_PER_TRACE, spanCount - run * SPANS_PER_TRACE) - 1;
    for (let i = 0; i < children; i++) {
      const span =
        i % 2 === 0
          ? tracer.startSpan(
              "chat gpt-4o-mini",
              {
                kind: SpanKind.CLIENT,
                attributes: {
                  "gen_ai.operation.name": "chat",
                  "gen_ai.system": "openai",
                  "gen_ai.request.model": "gpt-4o-mini",
                  "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                  "gen_ai.response.id": `chatcmpl-${int(1e9, 9e9).toString(36)}${int(1e9, 9e9).toString(36)}`,
                  "gen_ai.request.temperature": 0.2,
                  "gen_ai.usage.input_tokens": int(300, 2_000),
                  "gen_ai.usage.output_tokens": int(20, 300),
                  "gen_ai.response.finish_reasons": ["stop"],
                  "gen_ai.input.messages": JSON.stringify([
                    {
                      role: "system",
                      parts: [
                        {
                          type: "text",
                          content: "You are a support agent for an online shop. Answer briefly and cite order ids.",
                        },
                      ],
                    },
                    { role: "user", parts: [{ type: "text", content: `Step ${i}: ${words(int(10, 18))}?` }] },
                  ]),
                  "gen_ai.output.messages": JSON.stringify([
                    {
                      role: "assistant",
                      parts: [{ type: "text", content: `${words(int(12, 22))} ${orderId()}.` }],
                      finish_reason: "stop",
                    },
                  ]),
                },
              },
              inRoot,
            )
          : tracer.startSpan(
              "execute_tool lookup_orders",
              {
                kind: SpanKind.INTERNAL,
                attributes: {
                  "gen_ai.operation.name": "execute_tool",
                  "gen_ai.tool.name": "lookup_orders",
                  "gen_ai.tool.call.id": `call_${int(1e9, 9e9).toString(36)}${int(1e9, 9e9).toString(36)}`,
                  "gen_ai.tool.call.arguments": JSON.stringify({
                    customerId: customer,
                    limit: 3,
                    include: ["items", "shipping", "refunds"],
                  }),
                  "gen_ai.tool.call.result": JSON.stringify({
                    orders: Array.from({ length: 3 }, () => ({
                      id: orderId(),
                      state: pick(["delivered", "damaged", "in_transit", "returned"]),
                      total: int(500, 25_000) / 100,
                      items: int(1, 6),
                      carrier: pick(["DHL", "UPS", "GLS", "DPD"]),
                      deliveredAt: day(),
                    })),
                  }),
                },
              },
              inRoot,
            );
      span.end();
    }
    root.end();
  }
  return exporter.getFinishedSpans();
}

/** The template payload and, per template trace id, every offset where its 16 bytes occur. */
function templatePayload(batchSpans) {
  const spans = recordAgentRuns(batchSpans);
  const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
  const traceIds = [...new Set(spans.map((s) => s.spanContext().traceId))].map((id) => Buffer.from(id, "hex"));
  const offsets = traceIds.map((id) => {
    const found = [];
    for (let at = body.indexOf(id); at !== -1; at = body.indexOf(id, at + 1)) found.push(at);
    return found;
  });
  // How much an exporter's gzip would shrink the batch: the bench's payload should compress like real traffic.
  const gzipRatio = Math.round((body.length / gzipSync(body).length) * 10) / 10;
  return { body, offsets, spans: spans.length, bytesPerSpan: Math.round(body.length / spans.length), gzipRatio };
}

/**
 * One template batch of `batchSpans` spans, and `fresh()`: the template with new trace
 * ids (this process's random tag, then a counter), so every request is new work rather
 * than a duplicate. `traceIdOf(n)` is the id the n-th fresh trace got.
 */
export function otlpPayloads(batchSpans) {
  const template = templatePayload(batchSpans);
  const runTag = Buffer.from(crypto.getRandomValues(new Uint8Array(8)));
  let seq = 0;
  const traceIdOf = (n) => {
    const id = Buffer.alloc(16);
    runTag.copy(id, 0);
    id.writeUInt32BE(n >>> 0, 12);
    return id;
  };
  return {
    template,
    traceIdOf,
    nextTraceNumber: () => seq,
    fresh() {
      const body = Buffer.from(template.body);
      for (const positions of template.offsets) {
        const id = traceIdOf(seq++);
        for (const at of positions) id.copy(body, at);
      }
      return body;
    },
  };
}
