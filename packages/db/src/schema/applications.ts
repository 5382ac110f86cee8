// Applications, conversations and messages (issue 3, parts 3–4).
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { JsonObjectColumn } from './models.js';
import type { Timestamp } from './users.js';

export type ApplicationStatus = 'running' | 'stopped';

/** What an application adds to every call of its model. */
export interface ApplicationConfigJson {
  max_tokens?: number | undefined;
  temperature?: number | undefined;
  system_prompt?: string | undefined;
  top_p?: number | undefined;
}

export interface ApplicationsTable {
  /** `app_…` */
  id: string;
  owner_id: string;
  name: string;
  description: Generated<string>;
  model_id: string;
  status: Generated<ApplicationStatus>;
  config: JsonObjectColumn<ApplicationConfigJson>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConversationsTable {
  /** `conv_…` */
  id: string;
  user_id: string;
  app_id: string;
  title: string | null;
  message_count: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type MessageRole = 'system' | 'user' | 'assistant' | 'tool';

export interface MessagesTable {
  /** `msg_…` (user turns) or the `resp_…` id the chat answer was given. */
  id: string;
  conversation_id: string;
  role: MessageRole;
  content: string;
  tokens: number;
  /** Files an answer on a media model delivered (issue 14); null on text turns. */
  attachments: ColumnType<MessageAttachmentJson[] | null, string | null | undefined, string | null>;
  /** An assistant step that called tools (issue 16): [{id, name, arguments}] as the model sent them. */
  tool_calls: ColumnType<MessageToolCallJson[] | null, string | null | undefined, string | null>;
  /** A `tool` message: the call it answers. */
  tool_call_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface MessageToolCallJson {
  id: string;
  /** The namespaced function name the model saw (`t_<slug>__<function>`). */
  name: string;
  /** The arguments as the model wrote them (a JSON string). */
  arguments: string;
}

export interface MessageAttachmentJson {
  file_id: string;
  content_type: string;
}

export interface ApplicationsTables {
  applications: ApplicationsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
}

export type Application = Selectable<ApplicationsTable>;
export type NewApplication = Insertable<ApplicationsTable>;
export type Conversation = Selectable<ConversationsTable>;
export type ConversationMessage = Selectable<MessagesTable>;
