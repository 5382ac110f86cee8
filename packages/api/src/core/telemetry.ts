/** What the model-call path reports; the host turns it into metrics. No-op by default. */
export interface Telemetry {
  modelCall(event: {
    modelId: string;
    providerId: string | null;
    status: string;
    inputTokens: number;
    outputTokens: number;
    latencyMs: number;
  }): void;
  upstreamError(providerId: string, kind: string): void;
  /** A model call that failed (nothing charged), for the log. */
  modelCallFailed?(event: {
    requestId: string;
    model: string;
    providerId: string | null;
    /** The provider's HTTP status, when it answered one. */
    upstreamStatus: number | null;
    /** The upstream failure's kind (connect, timeout, server, client, …), else the error code. */
    kind: string;
    message: string;
    latencyMs: number;
  }): void;
}

export const NO_TELEMETRY: Telemetry = { modelCall: () => {}, upstreamError: () => {} };
