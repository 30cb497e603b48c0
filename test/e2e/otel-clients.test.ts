/**
 * Real OpenTelemetry clients against the running server, unchanged: the OTel JS
 * OTLP exporters (protobuf and JSON, with and without gzip), the Langfuse SDK's span
 * processor (Basic auth on /api/public/otel/v1/traces) and the AI SDK's telemetry.
 * Each export must succeed and its trace be readable with agent, input, output,
 * tool calls and token counts.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  trace as otelTrace,
  type Context,
  type ContextManager,
} from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter as HttpJsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { generateText, stepCountIs, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { api, createProject, eventually, flywheel } from "./client";

/** The AI SDK nests its spans through the active context, which needs a context manager in Node. */
class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== "function") return target;
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    } as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

let project: { id: string; apiKey: string };
beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalContextManager());
  project = await createProject("otel-clients");
});

/** Wraps an exporter so the test sees what the client itself saw for each export. */
function recording<T extends SpanExporter>(exporter: T): { exporter: T; results: ExportResult[] } {
  const results: ExportResult[] = [];
  const original = exporter.export.bind(exporter);
  exporter.export = (spans: ReadableSpan[], done: (result: ExportResult) => void) =>
    original(spans, (result) => {
      results.push(result);
      done(result);
    });
  return { exporter, results };
}

function providerWith(serviceName: string, processor: SpanProcessor) {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName, "service.version": "2.0.1" }),
    spanProcessors: [processor],
  });
}

/** One agent run with GenAI semantic conventions: an agent span, an LLM call with a tool call, the tool. */
function runSupportAgent(provider: BasicTracerProvider): string {
  const tracer = provider.getTracer("support-agent", "1.0.0");
  const root = tracer.startSpan("invoke_agent support-bot", {
    kind: SpanKind.SERVER,
    attributes: {
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "support-bot",
      "gen_ai.input.messages": JSON.stringify([
        { role: "user", parts: [{ type: "text", content: "Where is order A17?" }] },
      ]),
      "gen_ai.output.messages": JSON.stringify([
        { role: "assistant", parts: [{ type: "text", content: "A17 shipped yesterday." }] },
      ]),
    },
  });
  const inRoot = otelTrace.setSpan(ROOT_CONTEXT, root);
  const chat = tracer.startSpan(
    "chat gpt-4o-mini",
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30,
        "gen_ai.output.messages": JSON.stringify([
          {
            role: "assistant",
            parts: [{ type: "tool_call", id: "call_1", name: "lookup_order", arguments: { orderId: "A17" } }],
          },
        ]),
      },
    },
    inRoot,
  );
  chat.end();
  const lookup = tracer.startSpan(
    "execute_tool lookup_order",
    {
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "lookup_order",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.call.arguments": '{"orderId":"A17"}',
        "gen_ai.tool.call.result": '{"state":"shipped"}',
      },
    },
    inRoot,
  );
  lookup.end();
  root.end();
  return root.spanContext().traceId;
}

/** Reads a trace until it is finished (assembled after the server's quiet period). */
async function finishedTrace(traceId: string, apiKey = project.apiKey): Promise<Record<string, any>> {
  return eventually(async () => {
    const res = await api(apiKey, `/api/traces/${traceId}`);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as Record<string, any>;
    return body.state === "finished" ? body : undefined;
  });
}

function expectSupportRun(trace: Record<string, any>, traceId: string) {
  expect(trace).toMatchObject({ id: traceId, agent: "support-bot", version: "2.0.1", status: "ok" });
  expect(trace.input).toEqual([{ role: "user", parts: [{ type: "text", content: "Where is order A17?" }] }]);
  expect(trace.output).toEqual([{ role: "assistant", parts: [{ type: "text", content: "A17 shipped yesterday." }] }]);
  expect(trace.spans).toHaveLength(3);
  expect(trace.spans.find((s: any) => s.type === "llm")).toMatchObject({
    model: "gpt-4o-mini",
    usage: { inputTokens: 120, outputTokens: 30 },
  });
  expect(trace.spans.find((s: any) => s.type === "tool")).toMatchObject({
    name: "lookup_order",
    input: { orderId: "A17" },
    output: { state: "shipped" },
  });
}

describe("OpenTelemetry JS OTLP exporters", () => {
  it.each([
    ["protobuf", "none"],
    ["protobuf", "gzip"],
    ["json", "none"],
    ["json", "gzip"],
  ] as const)("%s exporter (compression %s) exports and the trace reads back", async (format, compression) => {
    const Exporter = format === "protobuf" ? ProtobufExporter : HttpJsonExporter;
    const { exporter, results } = recording(
      new Exporter({
        url: `${flywheel().url}/v1/traces`,
        headers: { authorization: `Bearer ${project.apiKey}` },
        compression: compression as never,
      }),
    );
    const provider = providerWith("support-service", new SimpleSpanProcessor(exporter));
    const traceId = runSupportAgent(provider);
    await provider.forceFlush();
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);
    expectSupportRun(await finishedTrace(traceId), traceId);
    await provider.shutdown();
  });

  it("a BatchSpanProcessor's batch of several traces is split into its traces", async () => {
    const { exporter, results } = recording(
      new ProtobufExporter({
        url: `${flywheel().url}/v1/traces`,
        headers: { authorization: `Bearer ${project.apiKey}` },
      }),
    );
    const provider = providerWith("support-service", new BatchSpanProcessor(exporter));
    const ids = [runSupportAgent(provider), runSupportAgent(provider), runSupportAgent(provider)];
    await provider.forceFlush();
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);
    for (const id of ids) expectSupportRun(await finishedTrace(id), id);
    await provider.shutdown();
  });

  it("an exporter with a wrong key sees its export fail", async () => {
    const { exporter, results } = recording(
      new ProtobufExporter({ url: `${flywheel().url}/v1/traces`, headers: { authorization: "Bearer fw_not-a-key" } }),
    );
    const provider = providerWith("support-service", new SimpleSpanProcessor(exporter));
    runSupportAgent(provider);
    // SimpleSpanProcessor surfaces the failed export through forceFlush too; the result says why.
    await provider.forceFlush().catch(() => undefined);
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.code === ExportResultCode.FAILED)).toBe(true);
    expect(results[0]!.error?.message).toMatch(/Unauthorized/);
    await provider.shutdown();
  });
});

describe("Langfuse SDK span processor", () => {
  it("sends with Basic auth to the Langfuse path and the trace reads back", async () => {
    const processor = new LangfuseSpanProcessor({
      publicKey: project.id,
      secretKey: project.apiKey,
      baseUrl: flywheel().url,
      exportMode: "immediate",
    });
    // Observe the processor's own exporter, whatever it is configured with.
    const inner = (processor as unknown as { processor: { _exporter: SpanExporter } }).processor;
    const { results } = recording(inner._exporter);
    const provider = providerWith("support-service", processor);
    const traceId = runSupportAgent(provider);
    await provider.forceFlush();
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);
    expectSupportRun(await finishedTrace(traceId), traceId);
    await provider.shutdown();
  });
});

describe("AI SDK telemetry", () => {
  it("generateText with a tool call, traced by a provider that exports to Flywheel", async () => {
    const { exporter, results } = recording(
      new ProtobufExporter({
        url: `${flywheel().url}/v1/traces`,
        headers: { authorization: `Bearer ${project.apiKey}` },
      }),
    );
    const provider = providerWith("shop-assistant", new SimpleSpanProcessor(exporter));
    const usage = (input: number, output: number) => ({
      inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: output, text: output, reasoning: undefined },
    });
    const model = new MockLanguageModelV3({
      modelId: "mock-gpt",
      doGenerate: [
        {
          content: [{ type: "tool-call", toolCallId: "call_1", toolName: "lookupOrder", input: '{"orderId":"A17"}' }],
          finishReason: { unified: "tool-calls", raw: "tool_calls" },
          usage: usage(100, 20),
          warnings: [],
        },
        {
          content: [{ type: "text", text: "Order A17 shipped yesterday." }],
          finishReason: { unified: "stop", raw: "stop" },
          usage: usage(50, 10),
          warnings: [],
        },
      ],
    });
    const result = await generateText({
      model,
      prompt: "Where is my order A17?",
      tools: {
        lookupOrder: tool({
          description: "Look up an order",
          inputSchema: z.object({ orderId: z.string() }),
          execute: async ({ orderId }) => ({ orderId, state: "shipped" }),
        }),
      },
      stopWhen: stepCountIs(3),
      experimental_telemetry: {
        isEnabled: true,
        functionId: "support",
        metadata: { version: "prompt-v3", userTier: "pro" },
        tracer: provider.getTracer("ai"),
      },
    });
    expect(result.text).toBe("Order A17 shipped yesterday.");
    await provider.forceFlush();
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);

    const listed = await eventually(async () => {
      const page = (await (await api(project.apiKey, "/api/traces?agent=shop-assistant&state=finished")).json()) as {
        traces: { id: string }[];
      };
      return page.traces.length === 1 ? page : undefined;
    });
    const trace = await finishedTrace(listed.traces[0]!.id);
    expect(trace).toMatchObject({
      agent: "shop-assistant",
      version: "prompt-v3",
      input: { prompt: "Where is my order A17?" },
      output: "Order A17 shipped yesterday.",
      metadata: { functionId: "support", userTier: "pro" },
    });
    const llm = trace.spans.filter((s: any) => s.type === "llm");
    expect(llm).toHaveLength(2);
    expect(llm.map((s: any) => s.usage)).toEqual([
      expect.objectContaining({ inputTokens: 100, outputTokens: 20 }),
      expect.objectContaining({ inputTokens: 50, outputTokens: 10 }),
    ]);
    expect(llm[0].output).toEqual([expect.objectContaining({ toolCallId: "call_1", toolName: "lookupOrder" })]);
    expect(trace.spans.find((s: any) => s.type === "tool")).toMatchObject({
      name: "lookupOrder",
      input: { orderId: "A17" },
      output: { orderId: "A17", state: "shipped" },
    });
    await provider.shutdown();
  });
});
