// The seams between the parts of issue 16 (tools that run), so that the definition of tools, the
// runner and the chat loop are built side by side. Types only; the implementations live beside
// this file (attachments.ts, run.ts) and in chat/.
import type { Actor } from '../../core/context.js';

/** A function as a model sees it (fixed arguments already removed from `parameters`). */
export interface ModelFacingFunction {
  /** `t_<slug>__<function>`: at most 64 characters of [A-Za-z0-9_-], unique within the app. */
  exposedName: string;
  /** The tool's own function name. */
  name: string;
  description: string;
  /** JSON Schema object. */
  parameters: Record<string, unknown>;
}

/** A tool attached to an application, ready to offer and to call (implemented in attachments.ts). */
export interface AppToolBinding {
  toolId: string;
  /** The resolved version (the pinned one, or the tool's current version). */
  version: string;
  functions: ModelFacingFunction[];
  /** The installer's config with its secret fields decrypted: for the runner only, never for a model or a log. */
  config: Record<string, unknown>;
  fixedArguments: Record<string, unknown>;
}

export type ToolCallStatus = 'success' | 'error' | 'timeout' | 'invalid_arguments' | 'refused' | 'insufficient_funds';

/** One call of one tool function (implemented in run.ts as `runToolCall(platform, input)`). */
export interface ToolCallInput {
  /** The payer. */
  actor: Actor;
  toolId: string;
  version: string;
  /** The tool's own function name (not the exposed one). */
  functionName: string;
  /** The arguments as the model wrote them: a JSON string, possibly malformed. */
  argumentsJson: string;
  /** The model's (or MCP client's) id for this call. */
  callId: string;
  appId: string | null;
  conversationId: string | null;
  config: Record<string, unknown>;
  fixedArguments: Record<string, unknown>;
  via: 'app' | 'mcp';
  requestId: string;
  signal: AbortSignal;
}

export interface ToolCallOutcome {
  /** `tcall_…`, the recorded call. */
  id: string;
  status: ToolCallStatus;
  /** What the model is told: the tool's result as text, or a short error it can act on. */
  content: string;
  isError: boolean;
  /** Charged to the payer (0 unless status is success). */
  costNano: bigint;
  latencyMs: number;
}
