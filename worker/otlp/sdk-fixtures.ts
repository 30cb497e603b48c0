/**
 * @module OTLP protobuf payloads recorded with the real OpenTelemetry JS SDK and
 * serialized by its exporter's own serializer, for the wire decoder's and the
 * scanner's tests. Node only: the SDK is not loaded in workerd.
 */
import { context, trace as otelTrace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

/**
 * One trace per agent: a root span naming the agent, then `chats` chat spans with an
 * event and every attribute kind; the last chat of each run fails.
 */
export function sdkAgentRuns(agents: string[], chats: number): Uint8Array {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "sdk-service", "process.pid": 42, "host.arch": ["x64"] }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("sdk-fixtures", "1.2.3");
  for (const agent of agents) {
    const root = tracer.startSpan("invoke_agent", {
      kind: SpanKind.SERVER,
      attributes: { "gen_ai.agent.name": agent },
    });
    const inRoot = otelTrace.setSpan(context.active(), root);
    for (let i = 0; i < chats; i++) {
      const child = tracer.startSpan(
        "chat",
        { attributes: { "gen_ai.usage.input_tokens": 12 + i, ratio: 0.25, ok: true, tags: ["a", "b"], big: 2 ** 60 } },
        inRoot,
      );
      child.addEvent("first_token", { ms: 120 });
      if (i === chats - 1) child.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
      child.end();
    }
    root.end();
  }
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!;
}
