/** Types for client/index.mjs. */
export declare class FlywheelError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  retryAfter?: string | null;
}

export interface FlywheelClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Attempts after the first one for network errors, timeouts, 408, 429 and 5xx. Default 8. */
  maxRetries?: number;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  /** First backoff delay, doubled per attempt with jitter. Default 200 ms. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

export interface IngestResult {
  id?: string;
  status?: "created" | "duplicate";
  results?: Array<{
    index: number;
    id?: string;
    status: "created" | "duplicate" | "rejected";
    error?: { code: string; message: string };
  }>;
  accepted: number;
  duplicates: number;
  rejected: number;
}

export declare class FlywheelClient {
  constructor(options: FlywheelClientOptions);
  sendTraces(traces: object | object[]): Promise<IngestResult>;
  getTrace(id: string): Promise<Record<string, unknown> & { id: string; state: string }>;
}
