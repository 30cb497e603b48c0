// Generated from client/src by `npm run build:client`. Do not edit.
export declare class FlywheelError extends Error {
    readonly status: number;
    readonly code: string;
    readonly details?: unknown;
    /** The `Retry-After` header of the answer, when it had one. */
    retryAfter?: string | null;
    constructor(status: number, code: string, message: string, details?: unknown);
}
export interface FlywheelClientOptions {
    /** Where Flywheel runs, e.g. `http://127.0.0.1:8787`. (`url` is accepted too.) */
    baseUrl?: string;
    url?: string;
    /** The project's API key (`fw_...`). */
    apiKey: string;
    /** Attempts after the first one for network errors, timeouts, 408, 429 and 5xx. Default 8. */
    maxRetries?: number;
    /** Per-attempt timeout. Default 10 s. */
    timeoutMs?: number;
    /** First backoff delay, doubled per attempt with jitter. Default 200 ms. */
    backoffMs?: number;
    /** Longest wait between attempts, whatever `Retry-After` asks. Default 30 s. */
    maxRetryDelayMs?: number;
    /** Compress bodies over 1 KiB with gzip when `CompressionStream` exists. Default true. */
    gzip?: boolean;
    fetch?: typeof fetch;
    /** Called before each retry, e.g. to count them. */
    onRetry?: (error: unknown, attempt: number) => void;
}
export interface TraceResult {
    index: number;
    id?: string;
    status: "created" | "duplicate" | "rejected";
    error?: {
        code: string;
        message: string;
    };
}
export interface IngestResult {
    id?: string;
    status?: "created" | "duplicate";
    results?: TraceResult[];
    accepted: number;
    duplicates: number;
    rejected: number;
}
export declare class FlywheelClient {
    #private;
    readonly baseUrl: string;
    constructor(options: FlywheelClientOptions);
    /**
     * Sends one trace or an array. Resolves with the server's answer once the traces are
     * acknowledged (stored durably); rejects with FlywheelError for input the server
     * refuses (4xx), or after `maxRetries` failed attempts.
     */
    sendTraces(traces: object | object[]): Promise<IngestResult>;
    /** The trace as stored, with its spans and state. */
    getTrace(id: string): Promise<Record<string, unknown> & {
        id: string;
        state: string;
    }>;
}
/** `Retry-After` is either delay seconds or an HTTP date (RFC 9110 section 10.2.3). */
export declare function retryAfterMs(header: string | null | undefined, now?: number): number | undefined;
