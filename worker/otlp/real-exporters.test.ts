import { context, trace as otelTrace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { traceSchema } from "../domain/trace.js";
import { assembleTrace } from "./assemble-trace.js";
import { decodeOtlpTraces } from "./decode.js";

/** Spans recorded by the real OpenTelemetry JS SDK, as its OTLP exporters would send them. */
function recordSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "sdk-bot", "service.version": "9.9.9" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("flywheel-test", "0.0.1");
  const root = tracer.startSpan("invoke_agent sdk-bot", {
    kind: SpanKind.SERVER,
    attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "sdk-bot" },
  });
  const inRoot = otelTrace.setSpan(context.active(), root);
  const chat = tracer.startSpan(
    "chat gpt-4o-mini",
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 3,
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        "app.scores": [0.5, 1.5],
      },
    },
    inRoot,
  );
  chat.addEvent("first_token", { ms: 120 });
  chat.end();
  const tool = tracer.startSpan(
    "execute_tool search",
    { attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search" } },
    inRoot,
  );
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "index unavailable" });
  tool.end();
  root.end();
  return exporter.getFinishedSpans();
}

describe("payloads of the OpenTelemetry JS exporters", () => {
  const spans = recordSpans();

  it.each([
    ["protobuf", ProtobufTraceSerializer],
    ["json", JsonTraceSerializer],
  ] as const)("decodes %s and assembles a valid trace", (format, serializer) => {
    const body = serializer.serializeRequest(spans);
    if (!body) throw new Error("serializer produced nothing");
    const decoded = decodeOtlpTraces(body, format);
    expect(decoded.rejected.count).toBe(0);
    expect(decoded.spans).toHaveLength(3);
    const chatSpan = spans.find((s) => s.name.startsWith("chat"))!;
    const chat = decoded.spans.find((s) => s.name.startsWith("chat"))!;
    expect(chat).toMatchObject({
      traceId: chatSpan.spanContext().traceId,
      spanId: chatSpan.spanContext().spanId,
      parentSpanId: spans.find((s) => s.name.startsWith("invoke_agent"))!.spanContext().spanId,
      kind: 3,
      resource: { "service.name": "sdk-bot", "service.version": "9.9.9" },
      scope: { name: "flywheel-test", version: "0.0.1" },
      attributes: { "gen_ai.usage.input_tokens": 12, "app.scores": [0.5, 1.5] },
      events: [{ name: "first_token", attributes: { ms: 120 } }],
    });

    const trace = assembleTrace(decoded.spans);
    expect(traceSchema.safeParse(trace).success).toBe(true);
    expect(trace).toMatchObject({
      id: chatSpan.spanContext().traceId,
      agent: "sdk-bot",
      version: "9.9.9",
      status: "ok",
    });
    expect(trace.spans.map((s) => s.type).sort()).toEqual(["agent", "llm", "tool"]);
    expect(trace.spans.find((s) => s.type === "tool")).toMatchObject({
      name: "search",
      status: "error",
      error: "index unavailable",
    });
    expect(trace.input).toEqual([{ role: "user", parts: [{ type: "text", content: "hi" }] }]);
  });
});
