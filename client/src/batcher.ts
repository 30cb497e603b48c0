/**
 * @module The bounded buffer between the agent and the network. Traces are queued
 * and sent in batches, one request at a time, in the background; when Flywheel is
 * slow or down the buffer fills and further traces are dropped and counted, so the
 * agent never waits on Flywheel and memory stays bounded.
 */
import type { FlywheelClient, IngestResult } from "./http-client.js";

export type DropReason = "buffer_full" | "send_failed" | "rejected" | "unrecordable";

export interface DropEvent {
  reason: DropReason;
  /** How many traces this event dropped. */
  count: number;
  /** The error that made a send fail, or the server's reasons for rejected traces. */
  error?: unknown;
}

export interface FlywheelStats {
  /** Waiting in the buffer or in the request in flight. */
  buffered: number;
  /** Stored by the server (new). */
  sent: number;
  /** Already stored before (a retried send of the same content). */
  duplicates: number;
  /** Refused by the server as invalid (not retried). */
  rejected: number;
  /** Lost on this side: the buffer was full, or every retry failed. */
  dropped: number;
  /** Requests repeated after a network error, timeout, 429 or 5xx. */
  retries: number;
}

export interface BatcherOptions {
  batchSize: number;
  flushIntervalMs: number;
  maxBufferedTraces: number;
  onDrop: (event: DropEvent) => void;
}

export class Batcher {
  readonly #client: FlywheelClient;
  readonly #options: BatcherOptions;
  readonly #queue: object[] = [];
  readonly #stats: FlywheelStats = { buffered: 0, sent: 0, duplicates: 0, rejected: 0, dropped: 0, retries: 0 };
  #inFlight = 0;
  #draining: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: FlywheelClient, options: BatcherOptions) {
    this.#client = client;
    this.#options = options;
  }

  stats(): FlywheelStats {
    return { ...this.#stats, buffered: this.#queue.length + this.#inFlight };
  }

  countRetry(): void {
    this.#stats.retries++;
  }

  get idle(): boolean {
    return this.#queue.length === 0 && !this.#draining;
  }

  add(trace: object): void {
    if (this.#queue.length + this.#inFlight >= this.#options.maxBufferedTraces) {
      this.drop({ reason: "buffer_full", count: 1 });
      return;
    }
    this.#queue.push(trace);
    if (this.#queue.length >= this.#options.batchSize) this.#startDrain();
    else this.#schedule();
  }

  /** Resolves once everything queued before the call was sent or dropped. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#draining) {
      this.#startDrain();
      await this.#draining;
    }
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer || this.#draining) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#startDrain();
    }, this.#options.flushIntervalMs);
    // A pending flush must not keep a Node process alive; exit flushes instead.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #startDrain(): void {
    this.stop();
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.batchSize);
      this.#inFlight = batch.length;
      try {
        this.#count(await this.#client.sendTraces(batch), batch.length);
      } catch (error) {
        this.drop({ reason: "send_failed", count: batch.length, error });
      } finally {
        this.#inFlight = 0;
      }
    }
  }

  #count(result: IngestResult, size: number): void {
    if (!result?.results) {
      this.#stats.sent += result?.accepted ?? size;
      this.#stats.duplicates += result?.duplicates ?? 0;
      return;
    }
    const rejected = result.results.filter((r) => r.status === "rejected");
    this.#stats.sent += result.accepted;
    this.#stats.duplicates += result.duplicates;
    if (rejected.length > 0) {
      this.#stats.rejected += rejected.length;
      this.#safely({ reason: "rejected", count: rejected.length, error: rejected });
    }
  }

  drop(event: DropEvent): void {
    this.#stats.dropped += event.count;
    this.#safely(event);
  }

  /** A throwing callback must not break the buffer. */
  #safely(event: DropEvent): void {
    try {
      this.#options.onDrop(event);
    } catch {}
  }
}
