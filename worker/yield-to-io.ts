/**
 * @module Letting the runtime take in network I/O during a long run of storage calls.
 *
 * workerd runs every event that is ready before it polls sockets and timers again, and a
 * chain of R2 or D1 calls keeps producing ready events. Locally, where the Worker, the
 * Durable Objects and the R2/D1 simulators share one thread, a 250-trace ingest request
 * then held every other socket for up to 1.2 s: a judge's answers sat unread and the judge
 * idle, and any other request waited as long. Capping the puts alone did not help. A
 * zero-delay timer waits for the next poll, so code that issues many storage calls awaits
 * this between them. On Cloudflare it costs one turn of the event loop.
 */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
