// Tools that run (issue 16): versions with their functions, attachments to applications, calls.
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { Nano } from './billing.js';
import type { JsonObjectColumn } from './models.js';
import type { Timestamp } from './users.js';

export type ToolKind = 'http' | 'mcp';

/** One function a tool offers a model: `parameters` is a JSON Schema object. */
export interface ToolFunctionJson {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ToolVersionsTable {
  tool_id: string;
  version: string;
  kind: ToolKind;
  endpoint_url: string | null;
  server_url: string | null;
  functions: ColumnType<ToolFunctionJson[], string, string>;
  /** The OpenAPI 3 document the functions were imported from, when they were. */
  openapi: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface ApplicationToolsTable {
  app_id: string;
  tool_id: string;
  /** null: the tool's current version at call time. */
  version: string | null;
  /** The installer's config without its secret fields. */
  config: JsonObjectColumn<Record<string, unknown>>;
  /** The secret fields as one AES-GCM ciphertext of a JSON object (providers/secrets.ts), bound to `${app_id}:${tool_id}`. */
  secret_config_enc: string | null;
  fixed_arguments: JsonObjectColumn<Record<string, unknown>>;
  position: Generated<number>;
  created_at: Timestamp;
}

export type ToolCallStatus = 'success' | 'error' | 'timeout' | 'invalid_arguments' | 'refused' | 'insufficient_funds';
export type ToolCallVia = 'app' | 'mcp';

export interface ToolCallsTable {
  /** `tcall_…`; the settlement's idempotency key. */
  id: string;
  tool_id: string;
  version: string;
  function_name: string;
  payer_id: string;
  author_id: string;
  app_id: string | null;
  conversation_id: string | null;
  /** The model's (or MCP client's) id for the call. */
  call_id: string;
  request_id: string | null;
  via: ToolCallVia;
  status: ToolCallStatus;
  latency_ms: number;
  cost_nano: Nano;
  author_credit_nano: Nano;
  error: string | null;
  created_at: Timestamp;
}

export interface ToolRuntimeTables {
  tool_versions: ToolVersionsTable;
  application_tools: ApplicationToolsTable;
  tool_calls: ToolCallsTable;
}

export type ToolVersion = Selectable<ToolVersionsTable>;
export type ApplicationTool = Selectable<ApplicationToolsTable>;
export type ToolCallRecord = Selectable<ToolCallsTable>;
