import { decimalToNano } from './money.js';

export interface PlatformConfig {
  nodeEnv: string;
  isProduction: boolean;
  port: number;
  host: string;
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
    trustProxy: trustProxyFrom(env.TRUST_PROXY),
    allowPrivateUpstreams: flagFrom(env, 'MAAS_ALLOW_PRIVATE_UPSTREAMS', false),
    corsOrigins: (env.MAAS_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    maxBodyBytes: intFrom(env, 'MAAS_MAX_BODY_BYTES', 1_048_576),
    uploadMaxBytes: intFrom(env, 'MAAS_UPLOAD_MAX_BYTES', 100 * 1_048_576),
    platformFeePercent: intFrom(env, 'MAAS_PLATFORM_FEE_PERCENT', 10),
    paymentSandbox: flagFrom(env, 'MAAS_PAYMENT_SANDBOX', !isProduction),
    accessTokenTtlSeconds: 3600,
    refreshTokenTtlSeconds: intFrom(env, 'MAAS_REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600),
    sessionCacheTtlMs: intFrom(env, 'MAAS_SESSION_CACHE_TTL_MS', 30_000),
    logLevel: env.LOG_LEVEL ?? 'info',
  };
}
