/**
 * @module The support agent as an eval-run candidate: `candidate(version)` answers one
 * dataset case (the ticket a trace recorded as its input) with the reply and the spans
 * of the run, which the graders read as they read a production trace (the tool call's
 * arguments, the latency from the spans' times). The spans are recorded in memory, not
 * sent as traces: an eval run grades the answers itself, outside the agent's windows.
 */
import { createSupportAgent } from "./support-agent.mjs";

export function candidate(version) {
  return async (ticket) => {
    const spans = [];
    const output = await createSupportAgent(spanRecorder(spans), version)(ticket);
    return { output, spans };
  };
}

/** The client's tracing surface (`trace`, `current`, `llm`, `tool`, `retrieval`, `step`), keeping spans in a list. */
function spanRecorder(spans) {
  const helper =
    (type) =>
    async (name, input, fn, details = {}) => {
      // Pushed when it starts, so spans stay in call order as in a trace (spans.0 is the lookup).
      const span = { id: `s${spans.length + 1}`, type, name, input, startTime: new Date().toISOString(), ...details };
      spans.push(span);
      try {
        span.output = await fn({ set: (fields) => Object.assign(span, fields) });
        return span.output;
      } catch (err) {
        span.status = "error";
        span.error = String(err?.message ?? err);
        throw err;
      } finally {
        span.endTime = new Date().toISOString();
      }
    };
  return {
    trace: (_agent, fn) => fn,
    current: () => undefined,
    llm: helper("llm"),
    tool: helper("tool"),
    retrieval: helper("retrieval"),
    step: helper("step"),
  };
}
