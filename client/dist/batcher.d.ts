// Generated from client/src by `npm run build:client`. Do not edit.
/**
 * @module The bounded buffer between the agent and the network. Traces are queued
 * and sent in batches, one request at a time, in the background; when Flywheel is
 * slow or down the buffer fills and further traces are dropped and counted, so the
 * agent never waits on Flywheel and memory stays bounded.
 */
import type { FlywheelClient } from "./http-client.js";
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
export declare class Batcher {
    #private;
    constructor(client: FlywheelClient, options: BatcherOptions);
    stats(): FlywheelStats;
    countRetry(): void;
    get idle(): boolean;
    add(trace: object): void;
    /** Resolves once everything queued before the call was sent or dropped. */
    flush(): Promise<void>;
    stop(): void;
    drop(event: DropEvent): void;
}
