/**
 * Server configuration, resolved once from command-line flags and `ACCORD_*` environment
 * variables, validated with messages that name the setting. The only module that reads
 * `process.env`.
 */
import { randomInt } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { RetryPolicy } from '@accord/core';
import { DEFAULT_RETRY_POLICY } from '@accord/core';
import type { BrokerConfig } from '../brokers/broker-config.js';
import { parseBrokersSetting, redactBrokerUrl } from '../brokers/broker-config.js';
import { parseCrashPoint } from '../engine/crash-points.js';
import { parseTargetEntry } from '../outbound/target-entries.js';

/** Fully resolved server configuration. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Store URL: `sqlite:<file>` or `postgres://…`. */
  readonly store: string;
  /** Bearer token of the `client` role; null: no auth (loopback only). */
  readonly token: string | null;
  /** Bearer token of the `admin` role; null: the client token holds both roles. */
  readonly adminToken: string | null;
  /** HMAC secret for `Accord-Signature` on branch calls; null: unsigned. */
  readonly signingSecret: string | null;
  readonly logLevel: string;
  /** Snowflake node id, 0..1023. */
  readonly nodeId: number;
  /** How long a claim on a transaction lasts unless renewed, ms. */
  readonly leaseMs: number;
  /** How often the recovery path looks for due work, ms. */
  readonly pollIntervalMs: number;
  /** Transactions one instance drives at once. */
  readonly maxInFlight: number;
  /** Largest request body, bytes. */
  readonly bodyLimit: number;
  /** Most steps in one transaction. */
  readonly maxSteps: number;
  /** Longest `waitResult` wait, ms. */
  readonly waitResultCapMs: number;
  /** Defaults for transactions that do not set them. */
  readonly defaults: {
    readonly requestTimeoutMs: number;
    readonly preparedTimeoutMs: number;
    readonly sagaTimeoutMs: number | null;
    readonly retry: RetryPolicy;
  };
  /** Outbound allow-list of hosts and CIDRs; empty: any host not denied. */
  readonly allowedTargets: readonly string[];
  /** Outbound deny-list (link-local and cloud metadata by default). */
  readonly deniedTargets: readonly string[];
  /** Terminal transactions older than this are purged in the background; null keeps them. */
  readonly retentionMs: number | null;
  /** How long shutdown waits for in-flight calls before releasing, ms. */
  readonly shutdownGraceMs: number;
  /** Named crash points for fault-injection tests (`name` or `name@N`). Never set in production. */
  readonly crashPoints: readonly string[];
  /** Message brokers that msg steps and notifications may target by name. */
  readonly brokers: readonly BrokerConfig[];
  /** Where alerts (parked transactions, failed notifications) are posted; null: logs only. */
  readonly alertUrl: string | null;
}

/** Flags from the command line; each overrides its environment variable. */
export interface ConfigFlags {
  readonly host?: string | undefined;
  readonly port?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly store?: string | undefined;
}

/** Invalid configuration: the message names the setting and why. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Link-local ranges and cloud metadata endpoints, denied unless explicitly allowed. */
export const DEFAULT_DENIED_TARGETS = [
  '169.254.0.0/16',
  'fe80::/10',
  '100.100.100.200/32',
  'fd00:ec2::254/128',
  'metadata.google.internal',
];

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function fraction(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`${name} must be a number from 0 to 1 (got "${raw}")`);
  }
  return value;
}

/** A list whose every entry `check` accepts (it throws an `Error` saying why not). */
function checked(env: Env, name: string, check: (entry: string) => unknown): string[] | undefined {
  const entries = list(env, name);
  for (const entry of entries ?? []) {
    try {
      check(entry);
    } catch (error) {
      throw new ConfigError(`${name}: ${(error as Error).message}`);
    }
  }
  return entries;
}

function list(env: Env, name: string): string[] | undefined {
  const raw = text(env, name);
  return raw === undefined
    ? undefined
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Resolves the configuration from flags and the environment (`process.env` unless given).
 * Throws {@link ConfigError} naming the first invalid setting.
 */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env): ServerConfig {
  const host = flags.host ?? text(env, 'ACCORD_HOST') ?? '127.0.0.1';
  const port = flags.port
    ? integer({ '--port': flags.port }, '--port', 7070, 0, 65535)
    : integer(env, 'ACCORD_PORT', 7070, 0, 65535);
  const dataDir = resolve(flags.dataDir ?? text(env, 'ACCORD_DATA_DIR') ?? './.accord');
  const store = flags.store ?? text(env, 'ACCORD_STORE') ?? 'sqlite:accord.db';
  if (
    !/^(sqlite:|postgres:\/\/|postgresql:\/\/|mysql:\/\/|mariadb:\/\/|redis:\/\/|rediss:\/\/)/.test(
      store,
    )
  ) {
    throw new ConfigError(
      `ACCORD_STORE must be a URL starting with sqlite:, postgres://, mysql://, mariadb:// or redis:// (got "${redactStoreUrl(store)}")`,
    );
  }
  const token = text(env, 'ACCORD_TOKEN') ?? null;
  const adminToken = text(env, 'ACCORD_ADMIN_TOKEN') ?? null;
  for (const [name, value] of [
    ['ACCORD_TOKEN', token],
    ['ACCORD_ADMIN_TOKEN', adminToken],
  ] as const) {
    if (value !== null && value.length < 16) {
      throw new ConfigError(`${name} must be at least 16 characters long`);
    }
  }
  if (!isLoopback(host) && token === null) {
    throw new ConfigError(
      `ACCORD_HOST is ${host}, beyond loopback: set ACCORD_TOKEN (and ideally ACCORD_ADMIN_TOKEN) first`,
    );
  }
  const logLevel = text(env, 'ACCORD_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `ACCORD_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`,
    );
  }
  const requestTimeoutMs = integer(env, 'ACCORD_REQUEST_TIMEOUT_MS', 3_000, 1, 600_000);
  const leaseMs = integer(env, 'ACCORD_LEASE_MS', 10_000, 500, 3_600_000);
  const sagaTimeout = integer(env, 'ACCORD_SAGA_TIMEOUT_MS', 0, 0, 30 * 86_400_000);
  const retention = integer(env, 'ACCORD_RETENTION_MS', 0, 0, 3650 * 86_400_000);
  const firstDelayMs = integer(
    env,
    'ACCORD_RETRY_FIRST_MS',
    DEFAULT_RETRY_POLICY.firstDelayMs,
    1,
    3_600_000,
  );
  const maxDelayMs = integer(
    env,
    'ACCORD_RETRY_MAX_MS',
    DEFAULT_RETRY_POLICY.maxDelayMs,
    1,
    86_400_000,
  );
  if (maxDelayMs < firstDelayMs) {
    throw new ConfigError(
      `ACCORD_RETRY_MAX_MS (${maxDelayMs}) must not be less than ACCORD_RETRY_FIRST_MS (${firstDelayMs})`,
    );
  }
  return {
    host,
    port,
    dataDir,
    store:
      store.startsWith('sqlite:') && store !== 'sqlite::memory:'
        ? sqliteUrl(store, dataDir)
        : store,
    token,
    adminToken,
    signingSecret: text(env, 'ACCORD_SIGNING_SECRET') ?? null,
    logLevel,
    nodeId: integer(env, 'ACCORD_NODE_ID', randomInt(0, 1024), 0, 1023),
    leaseMs,
    pollIntervalMs: integer(env, 'ACCORD_POLL_INTERVAL_MS', 250, 10, 60_000),
    maxInFlight: integer(env, 'ACCORD_MAX_IN_FLIGHT', 512, 1, 100_000),
    bodyLimit: integer(env, 'ACCORD_BODY_LIMIT', 1_048_576, 1_024, 64 * 1_048_576),
    maxSteps: integer(env, 'ACCORD_MAX_STEPS', 100, 1, 10_000),
    waitResultCapMs: integer(env, 'ACCORD_WAIT_RESULT_CAP_MS', 30_000, 0, 600_000),
    defaults: {
      requestTimeoutMs,
      preparedTimeoutMs: integer(env, 'ACCORD_PREPARED_TIMEOUT_MS', 35_000, 1, 30 * 86_400_000),
      sagaTimeoutMs: sagaTimeout === 0 ? null : sagaTimeout,
      retry: {
        firstDelayMs,
        factor: integer(env, 'ACCORD_RETRY_FACTOR', DEFAULT_RETRY_POLICY.factor, 1, 10),
        maxDelayMs,
        jitter: fraction(env, 'ACCORD_RETRY_JITTER', DEFAULT_RETRY_POLICY.jitter),
        ongoingDelayMs: integer(
          env,
          'ACCORD_ONGOING_DELAY_MS',
          DEFAULT_RETRY_POLICY.ongoingDelayMs,
          1,
          3_600_000,
        ),
        maxAttempts: integer(
          env,
          'ACCORD_MAX_ATTEMPTS',
          DEFAULT_RETRY_POLICY.maxAttempts,
          1,
          1_000_000,
        ),
      },
    },
    allowedTargets: checked(env, 'ACCORD_ALLOWED_TARGETS', parseTargetEntry) ?? [],
    deniedTargets:
      checked(env, 'ACCORD_DENIED_TARGETS', parseTargetEntry) ?? DEFAULT_DENIED_TARGETS,
    retentionMs: retention === 0 ? null : retention,
    shutdownGraceMs: integer(env, 'ACCORD_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    crashPoints: checked(env, 'ACCORD_CRASH_POINTS', parseCrashPoint) ?? [],
    brokers: brokers(env),
    alertUrl: httpUrl(env, 'ACCORD_ALERT_URL'),
  };
}

function brokers(env: Env): BrokerConfig[] {
  try {
    return parseBrokersSetting(text(env, 'ACCORD_BROKERS') ?? '');
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
}

function httpUrl(env: Env, name: string): string | null {
  const raw = text(env, name);
  if (raw === undefined) return null;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new ConfigError(
      `${name} must be an http(s) URL (got "${raw.replace(/\/\/[^/@]*@/, '//***@')}")`,
    );
  }
  return raw;
}

function sqliteUrl(store: string, dataDir: string): string {
  const path = store.slice('sqlite:'.length);
  return `sqlite:${isAbsolute(path) ? path : resolve(dataDir, path)}`;
}

/**
 * A store URL with its password replaced by `***`, for messages and logs.
 *
 * @example
 * redactStoreUrl('postgres://app:s3cret@db/accord'); // 'postgres://app:***@db/accord'
 */
export function redactStoreUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** The configuration with secrets replaced by `***`, for logs and `accord serve` start-up. */
export function redactConfig(config: ServerConfig): Record<string, unknown> {
  const hidden = (v: string | null) => (v === null ? null : '***');
  return {
    ...config,
    store: redactStoreUrl(config.store),
    token: hidden(config.token),
    adminToken: hidden(config.adminToken),
    signingSecret: hidden(config.signingSecret),
    brokers: config.brokers.map((b) => ({ ...b, url: redactBrokerUrl(b.url) })),
    alertUrl: config.alertUrl === null ? null : redactBrokerUrl(config.alertUrl),
  };
}

/** Where the `accord tx` commands send their requests, and with which token. */
export interface CliTarget {
  readonly url: string;
  readonly token: string | null;
}

/** Resolves `ACCORD_URL` (default the local coordinator) and the admin (else client) token. */
export function loadCliTarget(env: Env = process.env): CliTarget {
  const url = (text(env, 'ACCORD_URL') ?? 'http://127.0.0.1:7070').replace(/\/$/, '');
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`ACCORD_URL must be an absolute URL (got "${url}")`);
  }
  return { url, token: text(env, 'ACCORD_ADMIN_TOKEN') ?? text(env, 'ACCORD_TOKEN') ?? null };
}
