/** @module The Worker entry point: the HTTP handler and the Durable Object classes. */
import { createApp } from "./app";

export { AgentWindow } from "../durable-objects/agent-window/agent-window";
export { TraceShard } from "../durable-objects/trace-shard/trace-shard";
export { EvalRun } from "../durable-objects/eval-run/eval-run";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
