import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter, ChatStreamEvent as ServerChatStreamEvent } from './router.js';

/** Every procedure's input, by path: `RouterInputs['auth']['register']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output, by path: `RouterOutputs['users']['profile']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type RegisterInput = RouterInputs['auth']['register'];
export type SignInInput = RouterInputs['auth']['token'];
export type TokenPair = RouterOutputs['auth']['token'];
export type UserProfile = RouterOutputs['users']['profile'];
export type UpdateProfileInput = RouterInputs['users']['updateProfile'];
export type AdminUser = RouterOutputs['adminUsers']['list']['data'][number];
export type Wallet = RouterOutputs['billing']['wallet'];
export type WalletTransaction = RouterOutputs['billing']['transactions']['data'][number];
/** A wallet top-up (`maas.topUps.create.mutate({ amount, provider })`); Stripe ones carry a `checkout_url` while pending. */
export type TopUp = RouterOutputs['topUps']['create'];
export type CreateTopUpInput = RouterInputs['topUps']['create'];
/** What redeeming a code credited (`maas.topUps.redeem.mutate({ code })`). */
export type Redemption = RouterOutputs['topUps']['redeem'];
/** A minted batch, with its plain codes (shown this once). */
export type RedemptionCodeBatch = RouterOutputs['topUps']['mintCodes'];
export type RedemptionCodeSummary = RouterOutputs['topUps']['listCodes']['data'][number];
export type CreateApiKeyInput = RouterInputs['apiKeys']['create'];
/** The created key, with its secret `key` (shown this once). */
export type CreatedApiKey = RouterOutputs['apiKeys']['create'];
export type ApiKey = RouterOutputs['apiKeys']['list']['data'][number];

/** The `pagination` block of every list answer. */
export type Pagination = RouterOutputs['adminUsers']['list']['pagination'];
/** A list answer: `{ data, pagination }`. */
export interface Page<TItem> {
  data: TItem[];
  pagination: Pagination;
}

export type ChatInput = Omit<RouterInputs['chat']['send'], 'stream'>;
export type ChatResponse = RouterOutputs['chat']['send'];
/**
 * One event of a streaming chat: deltas as the model writes, then `done` (or `error`, with what was
 * billed when the call got that far). The server's own type, not a copy.
 */
export type ChatStreamEvent = ServerChatStreamEvent;
