import type { Actor } from './actor.js';
import type { Locale } from './i18n.js';
import type { Platform } from './platform.js';

export type { Actor } from './actor.js';

export interface RequestInit {
  platform: Platform;
  requestId: string;
  locale: Locale;
  ip: string;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  userAgent: string | undefined;
  /** Aborted when the client goes away; long calls (model calls) pass it upstream. Created on first use. */
  clientSignal(): AbortSignal;
  setHeader(name: string, value: string): void;
}

export interface RequestContext extends RequestInit {
  /** Resolved lazily by the auth middleware; null means anonymous. */
  actor: Actor | null;
}

export function createRequestContext(init: RequestInit): RequestContext {
  return { ...init, actor: null };
}
