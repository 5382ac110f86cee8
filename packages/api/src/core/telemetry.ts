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
}

export const NO_TELEMETRY: Telemetry = { modelCall: () => {}, upstreamError: () => {} };
