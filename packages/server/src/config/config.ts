/**
 * Server configuration, resolved once from command-line flags and `ACCORD_*` environment
 * variables as the settings table (settings.ts) describes them, plus the rules that tie
 * settings together. The only module that reads `process.env`.
 */
import { MODES, type RetryPolicy, type StuckThresholds } from '@accord/core';
import type { NamedToken } from '../common/named-token.js';
import type { BrokerConfig } from '../brokers/broker-config.js';
import type { ParticipantsConfig } from '../participants/participants.js';
import { ConfigError } from '../common/config-error.js';
import { resolveStoreUrl } from '../stores/store-url.js';
import type { Env } from './read-settings.js';
import { printableValue, readSettings, settingText } from './read-settings.js';
import { CLI_SETTINGS, SERVER_SETTINGS } from './settings.js';
import type { LogFormat } from '../observability/logger.js';

export { ConfigError } from '../common/config-error.js';
export { DEFAULT_DENIED_TARGETS } from './settings.js';
export type { Env } from './read-settings.js';

/** Fully resolved server configuration. */
export interface ServerConfig {
  /**
   * The `OTEL_*` variables of the environment: OpenTelemetry's own settings (endpoint,
   * protocol, headers, sampler, batching). An OTLP endpoint among them turns tracing on.
   * Absent or empty: no tracing.
   */
  readonly otel?: Readonly<Record<string, string>>;
  readonly host: string;
  readonly port: number;
  /** Port of DTM's gRPC API; null: no gRPC listener. */
  readonly grpcPort: number | null;
  readonly dataDir: string;
  /** Store URL: `sqlite:<file>` or `postgres://…`. */
  readonly store: string;
  /** Bearer token of the `client` role; null: no auth (loopback only). */
  readonly token: string | null;
  /** Bearer token of the `admin` role; null: the client token holds both roles. */
  readonly adminToken: string | null;
  /** More tokens, each with a name (the actor of its operator actions) and a role. */
  readonly tokens: readonly NamedToken[];
  /** Per mode, how long a transaction may stay non-terminal before it counts as stuck, ms. */
  readonly stuckAfter: StuckThresholds;
  /** How often stuck transactions are looked for, ms. */
  readonly stuckCheckMs: number;
  /** HMAC secret for `Accord-Signature` on branch calls; null: unsigned. */
  readonly signingSecret: string | null;
  readonly logLevel: string;
  /** `json` (one object a line) or `pretty` (for a terminal). */
  readonly logFormat: LogFormat;
  /** Snowflake node id, 0..1023. */
  readonly nodeId: number;
  /** How long a claim on a transaction lasts unless renewed, ms. */
  readonly leaseMs: number;
  /** How often the recovery path looks for due work, ms. */
  readonly pollIntervalMs: number;
  /** How often the reconciliation scheduler looks for due jobs, ms. */
  readonly reconcileCheckMs: number;
  /** Directories reconciliation sources may read files under (ACCORD_RECONCILE_FILES). */
  readonly reconcileFiles: readonly string[];
  /** Transactions one instance drives at once. */
  readonly maxInFlight: number;
  /** Largest request body, bytes. */
  readonly bodyLimit: number;
  /** Most steps in one transaction. */
  readonly maxSteps: number;
  /** Longest `waitResult` wait, ms. */
  readonly waitResultCapMs: number;
  /** TCC for REST: least time a link must have left to be confirmed, besides the round trip, ms. */
  readonly tccRestMarginMs: number;
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
  /** Participant caps and how long calls to a paused one are held. */
  readonly participants: ParticipantsConfig;
  /** Message brokers that msg steps and notifications may target by name. */
  readonly brokers: readonly BrokerConfig[];
  /** Where alerts (parked transactions, failed notifications) are posted; null: logs only. */
  readonly alertUrl: string | null;
  /** Whether the web dashboard is served at `/ui`. */
  readonly ui: boolean;
}

/** Flags from the command line; each overrides its environment variable. */
export interface ConfigFlags {
  readonly host?: string | undefined;
  readonly port?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly store?: string | undefined;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Resolves the configuration from flags and the environment (`process.env` unless given).
 * Throws {@link ConfigError} naming the first invalid setting.
 */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env): ServerConfig {
  const s = readSettings(SERVER_SETTINGS, env, flags);
  if (!isLoopback(s.host) && s.token === null && s.tokens.length === 0) {
    throw new ConfigError(
      `ACCORD_HOST is ${s.host}, beyond loopback: set ACCORD_TOKEN (and ideally ACCORD_ADMIN_TOKEN) or ACCORD_TOKENS first`,
    );
  }
  if (s.retryMaxMs < s.retryFirstMs) {
    throw new ConfigError(
      `ACCORD_RETRY_MAX_MS (${s.retryMaxMs}) must not be less than ACCORD_RETRY_FIRST_MS (${s.retryFirstMs})`,
    );
  }
  return {
    host: s.host,
    port: s.port,
    grpcPort: s.grpcPort,
    dataDir: s.dataDir,
    store: resolveStoreUrl(s.store, s.dataDir),
    token: s.token,
    adminToken: s.adminToken,
    tokens: s.tokens,
    stuckAfter: Object.fromEntries(
      MODES.map((mode) => [mode, s.stuckAfter[mode] ?? s.stuckAfterMs]),
    ) as StuckThresholds,
    stuckCheckMs: s.stuckCheckMs,
    signingSecret: s.signingSecret,
    logLevel: s.logLevel,
    logFormat: s.logFormat,
    nodeId: s.nodeId,
    leaseMs: s.leaseMs,
    pollIntervalMs: s.pollIntervalMs,
    reconcileCheckMs: s.reconcileCheckMs,
    reconcileFiles: s.reconcileFiles,
    maxInFlight: s.maxInFlight,
    bodyLimit: s.bodyLimit,
    maxSteps: s.maxSteps,
    waitResultCapMs: s.waitResultCapMs,
    tccRestMarginMs: s.tccRestMarginMs,
    defaults: {
      requestTimeoutMs: s.requestTimeoutMs,
      preparedTimeoutMs: s.preparedTimeoutMs,
      sagaTimeoutMs: s.sagaTimeoutMs === 0 ? null : s.sagaTimeoutMs,
      retry: {
        firstDelayMs: s.retryFirstMs,
        factor: s.retryFactor,
        maxDelayMs: s.retryMaxMs,
        jitter: s.retryJitter,
        ongoingDelayMs: s.ongoingDelayMs,
        maxAttempts: s.maxAttempts,
      },
    },
    allowedTargets: s.allowedTargets,
    deniedTargets: s.deniedTargets,
    retentionMs: s.retentionMs === 0 ? null : s.retentionMs,
    shutdownGraceMs: s.shutdownGraceMs,
    crashPoints: s.crashPoints,
    participants: {
      caps: s.participantCaps,
      defaults: { concurrency: s.participantConcurrency, ratePerSec: s.participantRate },
      resumeRatePerSec: s.resumeRatePerSec,
      holdMs: s.participantHoldMs,
    },
    brokers: s.brokers,
    alertUrl: s.alertUrl,
    otel: otelVariables(env),
    ui: s.ui === 'on',
  };
}

/** The `OTEL_*` variables of `env`. */
function otelVariables(env: Env): Record<string, string> {
  const otel: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('OTEL_') && value !== undefined) otel[name] = value;
  }
  return otel;
}

/**
 * The configuration with secrets replaced by `***` and credentials inside URLs hidden, as
 * the settings table marks them, for logs and `accord serve` start-up.
 */
export function redactConfig(config: ServerConfig): Record<string, unknown> {
  const printed: Record<string, unknown> = { ...config };
  for (const [key, setting] of Object.entries(SERVER_SETTINGS)) {
    if (key in printed) printed[key] = printableValue(setting, printed[key]);
  }
  const { participants } = config;
  printed['participants'] = { ...participants, caps: Object.fromEntries(participants.caps) };
  // OTLP headers usually carry the collector's credentials.
  if (config.otel !== undefined) {
    printed['otel'] = Object.fromEntries(
      Object.entries(config.otel).map(([k, v]) => [k, k.includes('HEADERS') ? '***' : v]),
    );
  }
  return printed;
}

/** Where the `accord tx` commands send their requests, and with which token. */
export interface CliTarget {
  readonly url: string;
  readonly token: string | null;
}

/** Resolves `ACCORD_URL` (default the local coordinator) and the admin (else client) token. */
export function loadCliTarget(env: Env = process.env): CliTarget {
  const { url } = readSettings(CLI_SETTINGS, env);
  const token =
    settingText(SERVER_SETTINGS.adminToken, env) ?? settingText(SERVER_SETTINGS.token, env);
  return { url, token };
}
