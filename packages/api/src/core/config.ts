import { z } from 'zod';
import { decimalToNano } from './money.js';

export interface PlatformConfig {
  nodeEnv: string;
  isProduction: boolean;
  port: number;
  host: string;
  /** When set, GET /metrics answers only `Authorization: Bearer <token>` (MAAS_METRICS_TOKEN). */
  metricsToken: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string | undefined;
  publicUrl: string;
  jwtSecret: string | undefined;
  encryptionKey: string | undefined;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  signupCreditNano: bigint;
  providersJson: string | undefined;
  seedDemoData: boolean;
  /** Create `admin` with a random password at a start that finds no admin (MAAS_INITIAL_ADMIN; off in tests). */
  initialAdmin: boolean;
  /** Serve the built dashboard at `/` (MAAS_SERVE_DASHBOARD; off in tests, which request it explicitly). */
  serveDashboard: boolean;
  /**
   * Server processes on one port (MAAS_WORKERS, node:cluster); unset: the number of CPUs in
   * production, 1 otherwise (apps/api/src/cluster.ts decides, and refuses more than 1 on PGlite).
   */
  workers: number | undefined;
  /** This worker's slot in a cluster (MAAS_WORKER_SLOT, set by the cluster's primary); unset outside one. */
  workerSlot: number | undefined;
  /** Answer with an `x-maas-worker-pid` header (MAAS_EXPOSE_WORKER_PID; honoured only when NODE_ENV=test). */
  exposeWorkerPid: boolean;
  rateLimits: { authenticated: number; anonymous: number; modelCalls: number };
  /** Prefix of the shared counters in Redis: instances of one platform must agree on it. */
  rateLimitNamespace: string;
  /** Brute-force guard on password sign-in (issue #5); a limit of 0 turns that check off. */
  loginLimits: {
    /** Sign-in attempts that may fail for one account from one network per window; a success starts over. */
    maxFailuresPerAccount: number;
    accountWindowSeconds: number;
    /** Failed sign-ins (to any account) per client network per window. */
    maxFailuresPerIp: number;
    ipWindowSeconds: number;
  };
  /** How long clients may take to send a request; the response (a model call, a stream) is not bounded by these. */
  httpTimeouts: {
    /** Whole request, headers and body (node's server.requestTimeout); 0 is off. */
    requestMs: number;
    /** Request headers (node's server.headersTimeout), the slowloris guard; at most requestMs. */
    headersMs: number;
    /** Idle keep-alive connection between requests; above a load balancer's own idle timeout. */
    keepAliveMs: number;
    /** Socket inactivity in either direction (Fastify's connectionTimeout); 0 is off. */
    connectionMs: number;
  };
  trustProxy: boolean | string | number;
  allowPrivateUpstreams: boolean;
  corsOrigins: string[];
  maxBodyBytes: number;
  uploadMaxBytes: number;
  /** Largest model file upload (purpose `model`, issue 15): models are gigabytes, streamed to disk. */
  modelUploadMaxBytes: number;
  /** The built-in local runtime (node-llama-cpp in a worker process) that serves uploaded model files. */
  localRuntime: {
    /** Threads per model; more than the free cores oversubscribes them and is much slower. */
    threads: number;
    /** Models loaded at once; the least recently used is unloaded to load another. */
    maxModels: number;
    /** Calls generating at once per model. */
    concurrency: number;
    /** Calls waiting per model beyond those; one more is a 429 with Retry-After. */
    queue: number;
    /** Use a GPU build when one is installed (see pnpm-workspace.yaml); CPU by default. */
    gpu: boolean;
    /** Least price per input and per output token (nano) of a public model on the local runtime, for non-admins. */
    minPriceNano: bigint;
  };
  /** Generated media (images, audio, video) are deleted this long after they were made; 0 keeps them. */
  generatedFileRetentionHours: number;
  platformFeePercent: number;
  /** Marketplace tool calls (issue 16): how long one may take, and the largest answer read from a tool. */
  tools: { timeoutMs: number; maxResponseBytes: number };
  paymentSandbox: boolean;
  /** Stripe Checkout for wallet top-ups; null when MAAS_STRIPE_SECRET_KEY is unset. */
  stripe: StripeConfig | null;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** How long a verified session is trusted before it is re-read; bounds logout propagation. */
  sessionCacheTtlMs: number;
  /** The video job worker: how often it looks at the queue, and how many jobs this instance runs at once (0: none). */
  videoWorker: { pollMs: number; concurrency: number };
  /** Fund model calls from per-instance wallet leases (MAAS_BILLING_LEASES, default on). */
  billingLeases: boolean;
  /** Rounds of tool calls one chat answer may run before it answers with what it has (MAAS_TOOL_MAX_ROUNDS, default 8). */
  toolMaxRounds: number;
  logLevel: string;
  /** `pretty` for humans, `json` lines for machines; unset: pretty when stdout is a terminal. */
  logFormat: 'json' | 'pretty' | undefined;
}

export interface StripeConfig {
  secretKey: string;
  /** The signing secret of the webhook endpoint (`whsec_…`), checked on every event. */
  webhookSecret: string;
  /** Another address for Stripe's API (a test server); null is Stripe's own. */
  apiBase: { protocol: 'http' | 'https'; host: string; port: number } | null;
}

type Env = Record<string, string | undefined>;

// Every variable the platform reads is a key of this schema, and the README's Environment table
// lists each of them (packages/api/src/core/config.test.ts checks both). An unset variable and an
// empty one both mean "use the default".

const isUnset = (raw: string | undefined): raw is undefined | '' => raw === undefined || raw === '';

/** A whole number of at least `min`; the fallback when unset. */
function integer<F extends number | undefined>(fallback: F, { min = 0 } = {}) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): number | F => {
      if (isUnset(raw)) return fallback;
      const value = Number(raw);
      if (Number.isInteger(value) && value >= min) return value;
      ctx.addIssue({ code: 'custom', message: `must be a ${min > 0 ? 'positive' : 'non-negative'} integer, got "${raw}"` });
      return z.NEVER;
    });
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

/** On or off; a word that is neither is refused rather than read as off. */
function flag<F extends boolean | undefined>(fallback: F) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): boolean | F => {
      if (isUnset(raw)) return fallback;
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.includes(word)) return true;
      if (FALSE_WORDS.includes(word)) return false;
      ctx.addIssue({ code: 'custom', message: `must be one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}; got "${raw}"` });
      return z.NEVER;
    });
}

function text<F extends string | undefined>(fallback: F) {
  return z
    .string()
    .optional()
    .transform((raw): string | F => (isUnset(raw) ? fallback : raw));
}

function trustProxyFrom(raw: string | undefined): boolean | string | number {
  if (isUnset(raw) || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  const hops = Number(raw);
  // A number means "trust this many hops"; anything else is an address/CIDR list for Fastify.
  return Number.isInteger(hops) ? hops : raw;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The environment the platform reads, variable by variable (defaults: README, Environment). */
export const EnvSchema = z.object({
  NODE_ENV: text('development'),
  PORT: integer(3000),
  HOST: text('0.0.0.0'),
  DATA_DIR: text('./.data'),
  DATABASE_URL: text(undefined),
  REDIS_URL: text(undefined),
  MAAS_PUBLIC_URL: text(undefined),
  MAAS_METRICS_TOKEN: text(undefined),
  MAAS_JWT_SECRET: text(undefined),
  MAAS_ENCRYPTION_KEY: text(undefined),
  MAAS_ADMIN_EMAIL: text(undefined),
  MAAS_ADMIN_PASSWORD: text(undefined),
  MAAS_SIGNUP_CREDIT: text('10').transform((raw, ctx) => {
    try {
      return decimalToNano(raw);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be an amount with at most 9 decimals, got "${raw}"` });
      return z.NEVER;
    }
  }),
  // Per token: a public model on the local runtime spends the platform's CPU (issue 15 part 5). 0 by
  // default, so that the contract's create (no pricing) still makes a public model; set it in production.
  MAAS_LOCAL_RUNTIME_MIN_PRICE: text('0').transform((raw, ctx) => {
    try {
      return decimalToNano(raw);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be an amount with at most 9 decimals, got "${raw}"` });
      return z.NEVER;
    }
  }),
  MAAS_PROVIDERS: text(undefined),
  MAAS_SEED_DEMO: flag(undefined),
  MAAS_INITIAL_ADMIN: flag(undefined),
  MAAS_SERVE_DASHBOARD: flag(undefined),
  MAAS_WORKERS: integer(undefined, { min: 1 }),
  MAAS_WORKER_SLOT: integer(undefined),
  MAAS_EXPOSE_WORKER_PID: flag(false),
  MAAS_RATE_LIMIT_AUTHENTICATED: integer(1000),
  MAAS_RATE_LIMIT_ANONYMOUS: integer(100),
  MAAS_RATE_LIMIT_MODEL_CALLS: integer(100),
  MAAS_RATE_LIMIT_NAMESPACE: text('maas'),
  MAAS_LOGIN_MAX_FAILURES_PER_ACCOUNT: integer(5),
  MAAS_LOGIN_ACCOUNT_WINDOW_SECONDS: integer(15 * 60, { min: 1 }),
  MAAS_LOGIN_MAX_FAILURES_PER_IP: integer(50),
  MAAS_LOGIN_IP_WINDOW_SECONDS: integer(3600, { min: 1 }),
  // 5 minutes, node's own default, which Fastify turns off: a 100 MB upload still fits on a slow
  // uplink. Behind a reverse proxy that buffers bodies this can be much lower.
  MAAS_REQUEST_TIMEOUT_MS: integer(300_000),
  /** Unset: 30 s, or the request timeout when that is shorter. */
  MAAS_HEADERS_TIMEOUT_MS: integer(undefined),
  MAAS_KEEP_ALIVE_TIMEOUT_MS: integer(72_000, { min: 1 }),
  // Off by default: a non-streamed model call can leave the socket silent for as long as the
  // provider's timeout_ms (up to 10 minutes), and that must not be cut.
  MAAS_CONNECTION_TIMEOUT_MS: integer(0),
  TRUST_PROXY: z.string().optional().transform(trustProxyFrom),
  MAAS_ALLOW_PRIVATE_UPSTREAMS: flag(false),
  MAAS_CORS_ORIGINS: text('').transform((raw) =>
    raw
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  ),
  MAAS_MAX_BODY_BYTES: integer(1_048_576),
  MAAS_UPLOAD_MAX_BYTES: integer(100 * 1_048_576),
  MAAS_MODEL_UPLOAD_MAX_BYTES: integer(20 * 1_073_741_824),
  // 1: on a small shared machine llama.cpp's default (all cores) oversubscribes them; measured in
  // docs/benchmarks.md (2 vCPUs: 64 tokens in ~70 ms with 1 thread, ~45 s with the default).
  MAAS_LOCAL_RUNTIME_THREADS: integer(1, { min: 1 }),
  MAAS_LOCAL_RUNTIME_MAX_MODELS: integer(2, { min: 1 }),
  MAAS_LOCAL_RUNTIME_CONCURRENCY: integer(1, { min: 1 }),
  MAAS_LOCAL_RUNTIME_QUEUE: integer(8),
  MAAS_LOCAL_RUNTIME_GPU: flag(false),
  MAAS_GENERATED_FILE_RETENTION_HOURS: integer(24 * 7),
  MAAS_PLATFORM_FEE_PERCENT: integer(10),
  MAAS_TOOL_TIMEOUT_MS: integer(30_000, { min: 1 }),
  MAAS_TOOL_MAX_RESPONSE_BYTES: integer(1_048_576, { min: 1 }),
  /** Unset: on outside production. */
  MAAS_PAYMENT_SANDBOX: flag(undefined),
  MAAS_STRIPE_SECRET_KEY: text(undefined),
  MAAS_STRIPE_WEBHOOK_SECRET: text(undefined),
  MAAS_STRIPE_API_BASE: text(undefined),
  MAAS_REFRESH_TOKEN_TTL_SECONDS: integer(30 * 24 * 3600),
  MAAS_SESSION_CACHE_TTL_MS: integer(30_000),
  MAAS_BILLING_LEASES: flag(true),
  MAAS_TOOL_MAX_ROUNDS: integer(8, { min: 1 }),
  LOG_FORMAT: text(undefined).pipe(
    z.enum(['json', 'pretty'], { error: (issue) => `must be json or pretty; got "${String(issue.input)}"` }).optional(),
  ),
  MAAS_VIDEO_WORKER_POLL_MS: integer(1_000, { min: 1 }),
  MAAS_VIDEO_WORKER_CONCURRENCY: integer(2),
  LOG_LEVEL: text('info').pipe(
    z.enum(LOG_LEVELS, { error: (issue) => `must be one of ${LOG_LEVELS.join(', ')}; got "${String(issue.input)}"` }),
  ),
});

/** Parses the environment; a bad value stops the start with a message naming each variable at fault. */
function parseEnvironment(source: Env): z.output<typeof EnvSchema> {
  const result = EnvSchema.safeParse(source);
  if (result.success) return result.data;
  const faults = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
  throw new Error(`Invalid environment: ${faults.join('; ')}`);
}

/** Reads the whole configuration once at start; a bad value stops the start with a clear message. */
export function loadConfig(source: Env = process.env): PlatformConfig {
  const env = parseEnvironment(source);
  const isProduction = env.NODE_ENV === 'production';
  const requestMs = env.MAAS_REQUEST_TIMEOUT_MS;
  const headersMs = env.MAAS_HEADERS_TIMEOUT_MS ?? (requestMs > 0 ? Math.min(30_000, requestMs) : 30_000);
  if (isProduction) {
    // Generated secrets live in DATA_DIR: a production instance that lost (or never shared) them
    // would sign tokens other instances reject and store provider keys it cannot read back. Refuse
    // before anything is served, rather than answer the first provider with a key with a 500.
    const missing = [env.MAAS_JWT_SECRET ? null : 'MAAS_JWT_SECRET', env.MAAS_ENCRYPTION_KEY ? null : 'MAAS_ENCRYPTION_KEY'].filter(
      (name) => name !== null,
    );
    if (missing.length > 0) {
      throw new Error(
        `NODE_ENV=production requires ${missing.join(' and ')}; refusing to start. Set ${missing.length > 1 ? 'them' : 'it'} to a random secret of at least 32 characters (for example: openssl rand -base64 48).`,
      );
    }
  }
  if (requestMs > 0 && headersMs > requestMs) {
    throw new Error(`MAAS_HEADERS_TIMEOUT_MS (${headersMs}) must not exceed MAAS_REQUEST_TIMEOUT_MS (${requestMs})`);
  }
  return {
    nodeEnv: env.NODE_ENV,
    isProduction,
    port: env.PORT,
    host: env.HOST,
    metricsToken: env.MAAS_METRICS_TOKEN,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    redisUrl: env.REDIS_URL,
    publicUrl: (env.MAAS_PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    jwtSecret: env.MAAS_JWT_SECRET,
    encryptionKey: env.MAAS_ENCRYPTION_KEY,
    adminEmail: env.MAAS_ADMIN_EMAIL,
    adminPassword: env.MAAS_ADMIN_PASSWORD,
    signupCreditNano: env.MAAS_SIGNUP_CREDIT,
    providersJson: env.MAAS_PROVIDERS,
    // Demo data only where someone is trying the platform out: in production it must be asked for.
    seedDemoData: env.MAAS_SEED_DEMO ?? !isProduction,
    // Tests make their own users; a first start anywhere else gets an admin it can sign in with.
    initialAdmin: env.MAAS_INITIAL_ADMIN ?? env.NODE_ENV !== 'test',
    serveDashboard: env.MAAS_SERVE_DASHBOARD ?? env.NODE_ENV !== 'test',
    workers: env.MAAS_WORKERS,
    workerSlot: env.MAAS_WORKER_SLOT,
    exposeWorkerPid: env.MAAS_EXPOSE_WORKER_PID && env.NODE_ENV === 'test',
    rateLimits: {
      authenticated: env.MAAS_RATE_LIMIT_AUTHENTICATED,
      anonymous: env.MAAS_RATE_LIMIT_ANONYMOUS,
      modelCalls: env.MAAS_RATE_LIMIT_MODEL_CALLS,
    },
    rateLimitNamespace: env.MAAS_RATE_LIMIT_NAMESPACE,
    loginLimits: {
      maxFailuresPerAccount: env.MAAS_LOGIN_MAX_FAILURES_PER_ACCOUNT,
      accountWindowSeconds: env.MAAS_LOGIN_ACCOUNT_WINDOW_SECONDS,
      maxFailuresPerIp: env.MAAS_LOGIN_MAX_FAILURES_PER_IP,
      ipWindowSeconds: env.MAAS_LOGIN_IP_WINDOW_SECONDS,
    },
    httpTimeouts: {
      requestMs,
      headersMs,
      keepAliveMs: env.MAAS_KEEP_ALIVE_TIMEOUT_MS,
      connectionMs: env.MAAS_CONNECTION_TIMEOUT_MS,
    },
    trustProxy: env.TRUST_PROXY,
    allowPrivateUpstreams: env.MAAS_ALLOW_PRIVATE_UPSTREAMS,
    corsOrigins: env.MAAS_CORS_ORIGINS,
    maxBodyBytes: env.MAAS_MAX_BODY_BYTES,
    uploadMaxBytes: env.MAAS_UPLOAD_MAX_BYTES,
    modelUploadMaxBytes: env.MAAS_MODEL_UPLOAD_MAX_BYTES,
    localRuntime: {
      threads: env.MAAS_LOCAL_RUNTIME_THREADS,
      maxModels: env.MAAS_LOCAL_RUNTIME_MAX_MODELS,
      concurrency: env.MAAS_LOCAL_RUNTIME_CONCURRENCY,
      queue: env.MAAS_LOCAL_RUNTIME_QUEUE,
      gpu: env.MAAS_LOCAL_RUNTIME_GPU,
      minPriceNano: env.MAAS_LOCAL_RUNTIME_MIN_PRICE,
    },
    generatedFileRetentionHours: env.MAAS_GENERATED_FILE_RETENTION_HOURS,
    platformFeePercent: env.MAAS_PLATFORM_FEE_PERCENT,
    tools: { timeoutMs: env.MAAS_TOOL_TIMEOUT_MS, maxResponseBytes: env.MAAS_TOOL_MAX_RESPONSE_BYTES },
    paymentSandbox: env.MAAS_PAYMENT_SANDBOX ?? !isProduction,
    stripe: stripeConfig(env),
    accessTokenTtlSeconds: 3600,
    refreshTokenTtlSeconds: env.MAAS_REFRESH_TOKEN_TTL_SECONDS,
    sessionCacheTtlMs: env.MAAS_SESSION_CACHE_TTL_MS,
    billingLeases: env.MAAS_BILLING_LEASES,
    toolMaxRounds: env.MAAS_TOOL_MAX_ROUNDS,
    videoWorker: { pollMs: env.MAAS_VIDEO_WORKER_POLL_MS, concurrency: env.MAAS_VIDEO_WORKER_CONCURRENCY },
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
  };
}

/** Stripe needs both secrets or neither: a key without the webhook secret takes payments it can never book. */
function stripeConfig(env: z.output<typeof EnvSchema>): StripeConfig | null {
  const secretKey = env.MAAS_STRIPE_SECRET_KEY;
  const webhookSecret = env.MAAS_STRIPE_WEBHOOK_SECRET;
  if (!secretKey && !webhookSecret) return null;
  if (!secretKey || !webhookSecret) {
    throw new Error('MAAS_STRIPE_SECRET_KEY and MAAS_STRIPE_WEBHOOK_SECRET must be set together (Stripe top-ups need both)');
  }
  return { secretKey, webhookSecret, apiBase: env.MAAS_STRIPE_API_BASE ? stripeApiBase(env.MAAS_STRIPE_API_BASE) : null };
}

function stripeApiBase(raw: string): NonNullable<StripeConfig['apiBase']> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`Invalid environment: MAAS_STRIPE_API_BASE must be a URL such as http://127.0.0.1:12111, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Invalid environment: MAAS_STRIPE_API_BASE must be http or https, got "${raw}"`);
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { protocol, host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443 };
}
