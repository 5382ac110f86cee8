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
  platformFeePercent: number;
  paymentSandbox: boolean;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** How long a verified session is trusted before it is re-read; bounds logout propagation. */
  sessionCacheTtlMs: number;
  /** Fund model calls from per-instance wallet leases (MAAS_BILLING_LEASES, default on). */
  billingLeases: boolean;
  logLevel: string;
}

type Env = Record<string, string | undefined>;

function intFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function positiveIntFrom(env: Env, name: string, fallback: number): number {
  const value = intFrom(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be a positive integer, got "${env[name]}"`);
  return value;
}

function httpTimeoutsFrom(env: Env): PlatformConfig['httpTimeouts'] {
  // 5 minutes, node's own default, which Fastify turns off: a 100 MB upload still fits on a slow
  // uplink. Behind a reverse proxy that buffers bodies this can be much lower.
  const requestMs = intFrom(env, 'MAAS_REQUEST_TIMEOUT_MS', 300_000);
  const headersMs = intFrom(env, 'MAAS_HEADERS_TIMEOUT_MS', requestMs > 0 ? Math.min(30_000, requestMs) : 30_000);
  if (requestMs > 0 && headersMs > requestMs) {
    throw new Error(`MAAS_HEADERS_TIMEOUT_MS (${headersMs}) must not exceed MAAS_REQUEST_TIMEOUT_MS (${requestMs})`);
  }
  return {
    requestMs,
    headersMs,
    keepAliveMs: positiveIntFrom(env, 'MAAS_KEEP_ALIVE_TIMEOUT_MS', 72_000),
    // Off by default: a non-streamed model call can leave the socket silent for as long as the
    // provider's timeout_ms (up to 10 minutes), and that must not be cut.
    connectionMs: intFrom(env, 'MAAS_CONNECTION_TIMEOUT_MS', 0),
  };
}

function flagFrom(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  return raw === '1' || raw === 'true' || raw === 'yes' || raw === 'on';
}

function trustProxyFrom(raw: string | undefined): boolean | string | number {
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  const hops = Number(raw);
  // A number means "trust this many hops"; anything else is an address/CIDR list for Fastify.
  return Number.isInteger(hops) ? hops : raw;
}

/** Reads the whole configuration once at start; a bad value stops the start with a clear message. */
export function loadConfig(env: Env = process.env): PlatformConfig {
  const nodeEnv = env.NODE_ENV ?? 'development';
  const isProduction = nodeEnv === 'production';
  const port = intFrom(env, 'PORT', 3000);
  return {
    nodeEnv,
    isProduction,
    port,
    host: env.HOST ?? '0.0.0.0',
    metricsToken: env.MAAS_METRICS_TOKEN || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.DATA_DIR || './.data',
    redisUrl: env.REDIS_URL || undefined,
    publicUrl: (env.MAAS_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, ''),
    jwtSecret: env.MAAS_JWT_SECRET || undefined,
    encryptionKey: env.MAAS_ENCRYPTION_KEY || undefined,
    adminEmail: env.MAAS_ADMIN_EMAIL || undefined,
    adminPassword: env.MAAS_ADMIN_PASSWORD || undefined,
    signupCreditNano: decimalToNano(env.MAAS_SIGNUP_CREDIT ?? '10'),
    providersJson: env.MAAS_PROVIDERS || undefined,
    seedDemoData: flagFrom(env, 'MAAS_SEED_DEMO', true),
    rateLimits: {
      authenticated: intFrom(env, 'MAAS_RATE_LIMIT_AUTHENTICATED', 1000),
      anonymous: intFrom(env, 'MAAS_RATE_LIMIT_ANONYMOUS', 100),
      modelCalls: intFrom(env, 'MAAS_RATE_LIMIT_MODEL_CALLS', 100),
    },
    rateLimitNamespace: env.MAAS_RATE_LIMIT_NAMESPACE || 'maas',
    loginLimits: {
      maxFailuresPerAccount: intFrom(env, 'MAAS_LOGIN_MAX_FAILURES_PER_ACCOUNT', 5),
      accountWindowSeconds: positiveIntFrom(env, 'MAAS_LOGIN_ACCOUNT_WINDOW_SECONDS', 15 * 60),
      maxFailuresPerIp: intFrom(env, 'MAAS_LOGIN_MAX_FAILURES_PER_IP', 50),
      ipWindowSeconds: positiveIntFrom(env, 'MAAS_LOGIN_IP_WINDOW_SECONDS', 3600),
    },
    httpTimeouts: httpTimeoutsFrom(env),
    trustProxy: trustProxyFrom(env.TRUST_PROXY),
    allowPrivateUpstreams: flagFrom(env, 'MAAS_ALLOW_PRIVATE_UPSTREAMS', false),
    corsOrigins: (env.MAAS_CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    maxBodyBytes: intFrom(env, 'MAAS_MAX_BODY_BYTES', 1_048_576),
    uploadMaxBytes: intFrom(env, 'MAAS_UPLOAD_MAX_BYTES', 100 * 1_048_576),
    platformFeePercent: intFrom(env, 'MAAS_PLATFORM_FEE_PERCENT', 10),
    paymentSandbox: flagFrom(env, 'MAAS_PAYMENT_SANDBOX', !isProduction),
    accessTokenTtlSeconds: 3600,
    refreshTokenTtlSeconds: intFrom(env, 'MAAS_REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600),
    sessionCacheTtlMs: intFrom(env, 'MAAS_SESSION_CACHE_TTL_MS', 30_000),
    billingLeases: env.MAAS_BILLING_LEASES !== '0',
    logLevel: env.LOG_LEVEL ?? 'info',
  };
}
