/**
 * @module The two durable steps every acknowledged trace goes through, in order:
 * its bytes into R2 (create-only, SHA-256 checked by R2), then its record into the
 * TraceShard that owns its id. Only when both succeed may the caller answer 2xx.
 *
 * If the Worker dies between the steps, nothing was acknowledged; the client's retry
 * finds the same bytes in R2 ("same") and records the trace then, exactly once.
 */
import type { RecordOutcome, TraceRecord } from "../storage/durable-objects";
import { loadConfig } from "../config";
import { shardOf, traceShardAt } from "../storage/durable-objects";
import { traceObjectKey, type TraceStore } from "../storage/r2";
import { yieldToIo } from "../yield-to-io";

/**
 * R2 puts in flight per request. A deployed Worker lets six outbound calls per invocation
 * wait for an answer at once (R2 calls among them), so more would only queue in the
 * runtime; locally, a bounded pool lets the runtime poll between puts (see yield-to-io.ts).
 */
const PUT_CONCURRENCY = 6;

type PutOutcome = Awaited<ReturnType<TraceStore["putCreateOnly"]>>;

export interface WritableTrace {
  trace: { id: string; agent: string };
  bytes: Uint8Array;
  sha256: string;
  toRecord(r2Key: string, receivedAt: string): TraceRecord;
}

export class TraceWriter {
  constructor(
    private readonly store: TraceStore,
    private readonly env: Env,
  ) {}

  async write(projectId: string, items: WritableTrace[]): Promise<RecordOutcome[]> {
    const receivedAt = new Date().toISOString();
    const puts: { key: string; outcome: PutOutcome }[] = new Array(items.length);
    let next = 0;
    const putter = async () => {
      for (let i = next++; i < items.length; i = next++) {
        // Each put lets the runtime poll its sockets first, so a batch never holds them (see yield-to-io.ts).
        if (i >= PUT_CONCURRENCY) await yieldToIo();
        const item = items[i]!;
        const key = traceObjectKey(projectId, item.trace.agent, item.trace.id);
        puts[i] = { key, outcome: await this.store.putCreateOnly(key, item.bytes, item.sha256) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, items.length) }, putter));

    const outcomes: RecordOutcome[] = new Array(items.length);
    const byShard = new Map<number, number[]>();
    const shards = loadConfig(this.env).TRACE_SHARDS;
    items.forEach((item, i) => {
      if (puts[i]!.outcome === "different") {
        outcomes[i] = "conflict";
        return;
      }
      const shard = shardOf(item.trace.id, shards);
      byShard.set(shard, [...(byShard.get(shard) ?? []), i]);
    });

    await Promise.all(
      [...byShard].map(async ([shard, indexes]) => {
        const recorded = await traceShardAt(this.env, projectId, shard).record(
          indexes.map((i) => items[i]!.toRecord(puts[i]!.key, receivedAt)),
        );
        indexes.forEach((itemIndex, j) => {
          outcomes[itemIndex] = recorded[j]!;
        });
      }),
    );

    // Same id under another agent: R2 took the bytes under a different key, but the
    // shard refused the record. Remove what this request created so nothing is left.
    await Promise.all(
      items.map(async (_item, i) =>
        outcomes[i] === "conflict" && puts[i]!.outcome === "created" ? this.store.delete(puts[i]!.key) : undefined,
      ),
    );
    return outcomes;
  }
}
