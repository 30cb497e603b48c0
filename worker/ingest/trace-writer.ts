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

/** R2 puts issued together; between groups the runtime polls its sockets (see yield-to-io.ts). */
const PUTS_PER_TURN = 16;

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
    const puts: { key: string; outcome: PutOutcome }[] = [];
    for (let i = 0; i < items.length; i += PUTS_PER_TURN) {
      if (i > 0) await yieldToIo();
      const group = items.slice(i, i + PUTS_PER_TURN).map(async (item) => {
        const key = traceObjectKey(projectId, item.trace.agent, item.trace.id);
        return { key, outcome: await this.store.putCreateOnly(key, item.bytes, item.sha256) };
      });
      puts.push(...(await Promise.all(group)));
    }

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
