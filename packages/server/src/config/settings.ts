/**
 * Every `ACCORD_*` setting in one table: its variable, flag, kind of value, default,
 * whether it is secret, and what it does. Parsing and validation, the printed (redacted)
 * configuration and the settings tables of docs/config.md (`npm run docs:settings`) are
 * all derived from it.
 */
import { randomInt } from 'node:crypto';
import { DEFAULT_RETRY_POLICY } from '@accord/core';
import { parseCrashPoint } from '../engine/crash-points.js';
import { parseTargetEntry } from '../outbound/target-entries.js';
import type { SettingType } from './setting-types.js';
import {
  absoluteUrl,
  brokerList,
  capsList,
  directory,
  fraction,
  httpUrl,
  integer,
  list,
  namedTokens,
  oneOf,
  rate,
  perMode,
  storeUrl,
  text,
} from './setting-types.js';

/** The section of docs/config.md that lists a setting. */
export type SettingSection =
  | 'listening'
  | 'security'
  | 'engine'
  | 'participants'
  | 'brokers'
  | 'limits'
  | 'transactions'
  | 'logging'
  | 'testing'
  | 'cli';

/** One environment variable. */
export interface Setting<T> {
  readonly env: `ACCORD_${string}`;
  /** The `accord serve` flag that overrides the variable. */
  readonly flag?: `--${string}`;
  readonly section: SettingSection;
  readonly type: SettingType<T>;
  /**
   * The value when unset, written as the variable would be (parsed like it); a function
   * for a value drawn at each start. Absent: unset means none (`null`).
   */
  readonly default?: string | (() => string);
  /** The default as the docs say it, where the value alone does not. */
  readonly defaultText?: string;
  /** Printed as `***` and never logged. */
  readonly secret?: boolean;
  /** What it does, for the docs: Markdown, one paragraph. */
  readonly description: string;
}

/** The value a setting resolves to: `null` when unset without a default. */
export type SettingValue<S> =
  S extends Setting<infer T>
    ? S extends { readonly default: string | (() => string) }
      ? T
      : T | null
    : never;

/** A table of settings by property name. */
export type SettingTable = Readonly<Record<string, Setting<unknown>>>;

const DAY_MS = 86_400_000;

/** Link-local ranges and cloud metadata endpoints, denied unless explicitly allowed. */
export const DEFAULT_DENIED_TARGETS = [
  '169.254.0.0/16',
  'fe80::/10',
  '100.100.100.200/32',
  'fd00:ec2::254/128',
  'metadata.google.internal',
];

/** Log levels, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Values of `ACCORD_LOG_FORMAT` (the logger's `LogFormat`). */
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** The settings of the coordinator (`accord serve`, `accord migrate`, `loadConfig`). */
export const SERVER_SETTINGS = {
  host: {
    env: 'ACCORD_HOST',
    flag: '--host',
    section: 'listening',
    type: text(),
    default: '127.0.0.1',
    description:
      'Interface to listen on. Loopback is `localhost`, `::1` or `127.x.x.x`; any other value (including `0.0.0.0`) is refused unless `ACCORD_TOKEN` is set.',
  },
  port: {
    env: 'ACCORD_PORT',
    flag: '--port',
    section: 'listening',
    type: integer(0, 65535),
    default: '7070',
    description: '`0` lets the system pick a free port (the chosen address is logged).',
  },
  grpcPort: {
    env: 'ACCORD_GRPC_PORT',
    flag: '--grpc-port',
    section: 'listening',
    type: integer(0, 65535),
    description:
      "Port of DTM's gRPC API (service `dtmgimp.Dtm`, see [dtm-compat.md](dtm-compat.md#grpc)), on the same interface as HTTP and with the same tokens (metadata `authorization: Bearer …`). Unset: no gRPC listener, and the gRPC server library is never loaded. `0` lets the system pick a free port.",
  },
  dataDir: {
    env: 'ACCORD_DATA_DIR',
    flag: '--data-dir',
    section: 'listening',
    type: directory(),
    default: './.accord',
    description:
      'Resolved against the working directory and created at start. Holds the SQLite database when the store URL is relative.',
  },
  store: {
    env: 'ACCORD_STORE',
    flag: '--store',
    section: 'listening',
    type: storeUrl(),
    default: 'sqlite:accord.db',
    description: 'The forms are described below.',
  },
  ui: {
    env: 'ACCORD_UI',
    section: 'listening',
    type: oneOf(['on', 'off'] as const),
    default: 'on',
    description:
      'The web dashboard at `/ui` (and `/` redirecting to it), signed in with a bearer token; see [operations.md](operations.md#dashboard). `off`: neither route exists.',
  },
  token: {
    env: 'ACCORD_TOKEN',
    section: 'security',
    type: text(16),
    secret: true,
    description:
      'Bearer token of the `client` role (create, register, submit, abort, query, ids). Unset: no authentication, which is only allowed on loopback.',
  },
  adminToken: {
    env: 'ACCORD_ADMIN_TOKEN',
    section: 'security',
    type: text(16),
    secret: true,
    description:
      'Bearer token of the `admin` role: everything the client may do, plus the operator actions (`retry`, `resolve`, `pause`, `resume`, bulk actions). Unset: the client token holds both roles. Setting it alone does not unlock non-loopback hosts: that needs `ACCORD_TOKEN`.',
  },
  tokens: {
    env: 'ACCORD_TOKENS',
    section: 'security',
    type: namedTokens(16),
    default: '',
    defaultText: 'none',
    secret: true,
    description:
      'More bearer tokens, each with a name and a role, beside `ACCORD_TOKEN` (named `client`) and `ACCORD_ADMIN_TOKEN` (named `admin`). The name is recorded as the actor of every operator action taken with the token and answered by `GET /v1/whoami`; the tokens are never logged or shown. Any entry turns authentication on, and allows a host beyond loopback.',
  },
  signingSecret: {
    env: 'ACCORD_SIGNING_SECRET',
    section: 'security',
    type: text(),
    secret: true,
    description:
      'Any non-empty string (use 32 or more random bytes). When set, every branch call carries `Accord-Signature: t=<unix ms>,n=<nonce>,v3=<hex HMAC-SHA256(secret, "<t>\\n<n>\\n<gid>\\n<branch>\\n<op>\\n<mode>\\n<body>")>` (see docs/protocol.md, Signatures); give SDK clients the same secret as `signingSecret` so their tries are signed too. Unset: calls are unsigned.',
  },
  allowedTargets: {
    env: 'ACCORD_ALLOWED_TARGETS',
    section: 'security',
    type: list('host names, IP addresses and CIDRs', parseTargetEntry),
    default: '',
    description:
      'Empty: any address not denied may be called. Non-empty: a branch URL must name a listed host (any address it resolves to may then be called, unless denied), or its address must be in a listed range; with ranges listed, a host name is resolved when the transaction is created (400 naming the field when none of its addresses is allowed) and again at every connect.',
  },
  deniedTargets: {
    env: 'ACCORD_DENIED_TARGETS',
    section: 'security',
    type: list('host names, IP addresses and CIDRs', parseTargetEntry),
    default: DEFAULT_DENIED_TARGETS.join(','),
    description:
      'Always wins over the allow-list. Setting it **replaces** the default list, so repeat the defaults you want to keep. Checked both on the URL at create time and on every resolved address at connect time.',
  },
  nodeId: {
    env: 'ACCORD_NODE_ID',
    section: 'engine',
    type: integer(0, 1023),
    default: () => String(randomInt(0, 1024)),
    defaultText: 'random at each start',
    description:
      'The node part of the 64-bit ids of `POST /v1/ids` and of generated gids. With several replicas, give each a different value so their ids can never collide.',
  },
  leaseMs: {
    env: 'ACCORD_LEASE_MS',
    section: 'engine',
    type: integer(500, 3_600_000, 'ms'),
    default: '10000',
    description:
      'How long a claim on a transaction lasts; renewed every third of it (at least every 100 ms) while the instance works on it. When an instance dies, others take its transactions over once the lease expires.',
  },
  pollIntervalMs: {
    env: 'ACCORD_POLL_INTERVAL_MS',
    section: 'engine',
    type: integer(10, 60_000, 'ms'),
    default: '250',
    description:
      'Pause between looks for due work (retries whose time came, timeouts, abandoned leases); a look that fills its batch is followed at once by another.',
  },
  reconcileFiles: {
    env: 'ACCORD_RECONCILE_FILES',
    section: 'engine',
    type: list('absolute directories', (entry) => {
      if (!entry.startsWith('/')) throw new Error(`"${entry}" is not an absolute directory`);
    }),
    default: '',
    description:
      "Directories under which reconciliation jobs may read files: a `csv` source's `folder` and an `sql` source's `sqlite:` database must lie inside one of them. Empty: no job may read the coordinator's files (such sources are refused with a 400 naming the field), so an admin token cannot point the coordinator at files it was not meant to read or move.",
  },
  reconcileCheckMs: {
    env: 'ACCORD_RECONCILE_CHECK_MS',
    section: 'engine',
    type: integer(100, 3_600_000, 'ms'),
    default: '15000',
    description:
      "Pause between looks for reconciliation jobs whose cron schedule is due; every instance looks, and the job's lease lets one of them run it.",
  },
  maxInFlight: {
    env: 'ACCORD_MAX_IN_FLIGHT',
    section: 'engine',
    type: integer(1, 100_000),
    default: '512',
    description:
      'Transactions one instance drives at the same time (claims are in batches of at most 128).',
  },
  retentionMs: {
    env: 'ACCORD_RETENTION_MS',
    section: 'engine',
    type: integer(0, 3650 * DAY_MS, 'ms'),
    default: '0',
    description:
      '`0` keeps terminal transactions forever. Otherwise a background job deletes terminal transactions (branches and history included) that finished longer ago than this, 500 at a time, checking every quarter of the age (between 1 s and 1 min). Safe with several replicas.',
  },
  shutdownGraceMs: {
    env: 'ACCORD_SHUTDOWN_GRACE_MS',
    section: 'engine',
    type: integer(0, 600_000, 'ms'),
    default: '10000',
    description:
      'On SIGTERM/SIGINT, how long in-flight transactions may keep going before their leases are released to other instances.',
  },
  participantCaps: {
    env: 'ACCORD_PARTICIPANT_CAPS',
    section: 'participants',
    type: capsList(),
    default: '',
    description:
      'Caps of named participants (the `host:port` of branch URLs, `[…]` around IPv6), e.g. `pay.internal:8080=4/20,[::1]:9000=-/0.5`: at most that many calls open at once and that many calls per second, from each instance. A call over a cap waits for its turn (not a failure); one that would wait over 2 s is held and tried again later, neither an attempt nor a failure.',
  },
  participantConcurrency: {
    env: 'ACCORD_PARTICIPANT_CONCURRENCY',
    section: 'participants',
    type: integer(1, 100_000),
    defaultText: 'no cap',
    description:
      'The concurrency cap of every participant not named in `ACCORD_PARTICIPANT_CAPS`: calls open at once to one `host:port`, per instance.',
  },
  participantRate: {
    env: 'ACCORD_PARTICIPANT_RATE',
    section: 'participants',
    type: rate(),
    defaultText: 'no cap',
    description:
      'The rate cap of every participant not named in `ACCORD_PARTICIPANT_CAPS`: calls per second to one `host:port`, per instance.',
  },
  resumeRatePerSec: {
    env: 'ACCORD_RESUME_RATE_PER_SEC',
    section: 'participants',
    type: rate(),
    default: '50',
    description:
      'For one minute after a participant is resumed, calls to it go out at most at this rate (or its own rate cap, if lower), per instance, so the calls held while it was paused do not arrive at once.',
  },
  participantHoldMs: {
    env: 'ACCORD_PARTICIPANT_HOLD_MS',
    section: 'participants',
    type: integer(100, 600_000, 'ms'),
    default: '5000',
    description:
      'A call to a paused participant is held (not made, not counted) and tried again after this long (±20 %); each instance also reads the shared pause list every half of it (at most every 2 s). So a resume takes effect within about this long.',
  },
  brokers: {
    env: 'ACCORD_BROKERS',
    section: 'brokers',
    type: brokerList(),
    default: '',
    description:
      'Each names a message broker that msg steps and notifications may target as `broker://<name>/…` (see [protocol.md](protocol.md#broker-targets)). The scheme picks the kind: `amqp://`/`amqps://` is RabbitMQ, `nats://`/`tls://` is NATS JetStream (credentials in the URL are passed as user/password, a lone user name as a token). Names match `[a-z0-9][a-z0-9_-]{0,62}` and must be unique. One server URL per NATS entry.',
  },
  alertUrl: {
    env: 'ACCORD_ALERT_URL',
    section: 'brokers',
    type: httpUrl(),
    description:
      'Every alert (a transaction parked, a notification failed for good, a transaction stuck: kind `parked`, `failed`, `stuck`; `op` is null for `stuck`) is also posted there as JSON `{ kind, gid, mode, branchId, op, reason, at }`, signed with `Accord-Signature` when `ACCORD_SIGNING_SECRET` is set, retried twice (after 1 s and 5 s). Best effort: the alert also stays in the error log, the metrics and the stored transaction.',
  },
  stuckAfterMs: {
    env: 'ACCORD_STUCK_AFTER_MS',
    section: 'engine',
    type: integer(1_000, 365 * 86_400_000, 'ms'),
    default: '3600000',
    description:
      'A transaction still not terminal this long after it was created counts as stuck: it raises the alert once (kind `stuck`), counts in the gauge `accord_transactions_stuck{mode}` and is listed by `GET /v1/transactions?stuck=true`.',
  },
  stuckAfter: {
    env: 'ACCORD_STUCK_AFTER',
    section: 'engine',
    type: perMode(1_000, 365 * 86_400_000),
    default: '',
    defaultText: 'none',
    description:
      'Per-mode stuck thresholds, e.g. `saga=600000,tcc=120000`; modes left out use `ACCORD_STUCK_AFTER_MS`.',
  },
  stuckCheckMs: {
    env: 'ACCORD_STUCK_CHECK_MS',
    section: 'engine',
    type: integer(100, 3_600_000, 'ms'),
    default: '30000',
    description:
      'How often the coordinator looks for stuck transactions (to raise their alerts and set the gauge).',
  },
  bodyLimit: {
    env: 'ACCORD_BODY_LIMIT',
    section: 'limits',
    type: integer(1_024, 64 * 1_048_576, 'bytes'),
    default: '1048576',
    description: 'Larger request bodies get `413 PAYLOAD_TOO_LARGE`.',
  },
  maxSteps: {
    env: 'ACCORD_MAX_STEPS',
    section: 'limits',
    type: integer(1, 10_000),
    default: '100',
    description: 'Most steps in one saga or msg; more is a `400`.',
  },
  waitResultCapMs: {
    env: 'ACCORD_WAIT_RESULT_CAP_MS',
    section: 'limits',
    type: integer(0, 600_000, 'ms'),
    default: '30000',
    description:
      'The longest a `waitResult` request is held open; `waitResult: true` waits this long, a number waits at most this long, `0` disables waiting.',
  },
  requestTimeoutMs: {
    env: 'ACCORD_REQUEST_TIMEOUT_MS',
    section: 'transactions',
    type: integer(1, 600_000, 'ms'),
    default: '3000',
    description: 'Timeout of one branch call (`options.requestTimeoutMs`).',
  },
  preparedTimeoutMs: {
    env: 'ACCORD_PREPARED_TIMEOUT_MS',
    section: 'transactions',
    type: integer(1, 30 * DAY_MS, 'ms'),
    default: '35000',
    description:
      "How long a tcc, xa or msg may stay `prepared` (`options.timeoutMs`). Then a tcc is cancelled, an xa rolled back and a msg's `checkUrl` is asked.",
  },
  tccRestMarginMs: {
    env: 'ACCORD_TCC_REST_MARGIN_MS',
    section: 'transactions',
    type: integer(0, 3_600_000, 'ms'),
    default: '1000',
    description:
      'TCC for REST: a confirm whose soonest participant link expires within this margin plus the measured round trip to participants is cancelled instead (`404`).',
  },
  sagaTimeoutMs: {
    env: 'ACCORD_SAGA_TIMEOUT_MS',
    section: 'transactions',
    type: integer(0, 30 * DAY_MS, 'ms'),
    default: '0',
    description:
      '`0` means no deadline. Overall deadline of a saga (`options.timeoutMs`); past it the saga compensates.',
  },
  retryFirstMs: {
    env: 'ACCORD_RETRY_FIRST_MS',
    section: 'transactions',
    type: integer(1, 3_600_000, 'ms'),
    default: String(DEFAULT_RETRY_POLICY.firstDelayMs),
    description: 'Delay before the first retry of a failed call (`retry.firstDelayMs`).',
  },
  retryFactor: {
    env: 'ACCORD_RETRY_FACTOR',
    section: 'transactions',
    type: integer(1, 10),
    default: String(DEFAULT_RETRY_POLICY.factor),
    description:
      'Multiplier of the delay after each further failure (`retry.factor`); `1` retries at a constant pace.',
  },
  retryMaxMs: {
    env: 'ACCORD_RETRY_MAX_MS',
    section: 'transactions',
    type: integer(1, DAY_MS, 'ms'),
    default: String(DEFAULT_RETRY_POLICY.maxDelayMs),
    description:
      'Cap on one retry delay (`retry.maxDelayMs`). Keep it at or above `ACCORD_RETRY_FIRST_MS`: a create that inherits a smaller cap is refused with a `400` on `/options/retry/maxDelayMs`.',
  },
  retryJitter: {
    env: 'ACCORD_RETRY_JITTER',
    section: 'transactions',
    type: fraction(),
    default: String(DEFAULT_RETRY_POLICY.jitter),
    description:
      'Each delay is spread randomly by ± this fraction (`retry.jitter`), so retries of many transactions do not arrive together.',
  },
  ongoingDelayMs: {
    env: 'ACCORD_ONGOING_DELAY_MS',
    section: 'transactions',
    type: integer(1, 3_600_000, 'ms'),
    default: String(DEFAULT_RETRY_POLICY.ongoingDelayMs),
    description: 'Delay after a `425` reply (`retry.ongoingDelayMs`); does not grow.',
  },
  maxAttempts: {
    env: 'ACCORD_MAX_ATTEMPTS',
    section: 'transactions',
    type: integer(1, 1_000_000),
    default: String(DEFAULT_RETRY_POLICY.maxAttempts),
    description:
      "Consecutive failures of one op before giving up (`retry.maxAttempts`, or a step's `maxAttempts`): a saga action then aborts its saga; an op that must succeed parks its transaction.",
  },
  logLevel: {
    env: 'ACCORD_LOG_LEVEL',
    section: 'logging',
    type: oneOf(LOG_LEVELS),
    default: 'info',
    description: 'How much the JSON log on standard output says.',
  },
  logFormat: {
    env: 'ACCORD_LOG_FORMAT',
    section: 'logging',
    type: oneOf(LOG_FORMATS),
    default: 'json',
    description:
      '`json`: one JSON object a line, for log shippers. `pretty`: coloured, human-readable lines (pino-pretty, loaded only then) for a terminal.',
  },
  crashPoints: {
    env: 'ACCORD_CRASH_POINTS',
    section: 'testing',
    type: list('`name` (first pass) or `name@N` (N-th pass) entries', parseCrashPoint),
    default: '',
    description:
      'At that point the process kills itself with SIGKILL. Names are checked at start (unknown names and bad counts stop it); see [operations.md](operations.md#crash-points). Never set in production.',
  },
} as const satisfies SettingTable;

/** The settings of the `accord tx` commands. */
export const CLI_SETTINGS = {
  url: {
    env: 'ACCORD_URL',
    section: 'cli',
    type: absoluteUrl(),
    default: 'http://127.0.0.1:7070',
    description: 'The coordinator the commands talk to.',
  },
} as const satisfies SettingTable;

/** Every setting, for the docs. */
export const SETTINGS: SettingTable = { ...SERVER_SETTINGS, ...CLI_SETTINGS };
