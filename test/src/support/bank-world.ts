/**
 * The world of the end-to-end and chaos tests: a real coordinator process, the two
 * bank services of the example (bank A on SQLite, bank B on PostgreSQL when present),
 * an SDK client, and the invariants every run must keep.
 */
import { randomBytes } from 'node:crypto';
import { AccordClient } from '@accord/client';
import type { Transaction } from '@accord/client';
import { signPayload } from '@accord/client/participant';
import type { Bank } from '@accord/example-bank-transfer';
import { bankTotals, duplicateEffects, startBanks } from '@accord/example-bank-transfer';
import {
  createTempKeyPrefix,
  createTempMysqlDatabase,
  createTempSchema,
  requireService,
  tempDir,
  waitFor,
} from '@accord/testkit';
import { CoordinatorProcess } from './coordinator-process.js';
import { redisClusterStorage } from './redis-cluster-world.js';
import { teardown } from './teardown.js';

/** A running world; `close()` tears everything down. */
export interface BankWorld {
  /** The first coordinator (the only one unless `replicas` was set). */
  readonly coordinator: CoordinatorProcess;
  /** Every coordinator replica, all on the same store. */
  readonly coordinators: readonly CoordinatorProcess[];
  /** A client per replica, in the same order. */
  readonly clients: readonly AccordClient[];
  /** Client of the first replica. */
  readonly accord: AccordClient;
  readonly a: Bank;
  readonly b: Bank;
  readonly secret: string;
  /** Account refs for transfers. */
  readonly alice: { url: string; account: string };
  readonly bob: { url: string; account: string };
  /** Why PostgreSQL is not used (null when it is). */
  readonly postgresSkip: string | null;
  close(): Promise<void>;
}

/** A coordinator store a world can run on. */
export type WorldStore = 'sqlite' | 'postgres' | 'mariadb' | 'redis' | 'redis-cluster';

/** Options of a world. */
export interface WorldOptions {
  /** Coordinator store: SQLite in its data dir, or a fresh schema / database / key prefix. */
  readonly store?: WorldStore;
  /** Coordinator processes sharing the store (default 1; not for SQLite). */
  readonly replicas?: number;
  /** Rewrites the coordinators' store URL (e.g. to route it through a {@link TcpProxy}). */
  readonly storeUrl?: (url: string) => string;
  /**
   * The server (PostgreSQL or Redis URL) holding the coordinators' store, when it is a
   * private one the test started rather than the shared service.
   */
  readonly storeServer?: string;
  readonly openingBalance?: number;
  /** Extra coordinator settings. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Isolated storage for the coordinators: a URL and how to remove it. */
async function coordinatorStorage(
  store: WorldStore,
  serverUrl: string | undefined,
): Promise<{ url?: string; drop(): Promise<void> }> {
  if (store === 'sqlite') return { drop: async () => undefined };
  if (store === 'redis-cluster') return redisClusterStorage();
  if (serverUrl === undefined) {
    const skip = await requireService(store);
    if (skip) throw new Error(skip);
  }
  if (store === 'postgres') {
    const schema = await createTempSchema('accord_coord', serverUrl ? { serverUrl } : {});
    return { url: schema.url, drop: () => schema.drop() };
  }
  if (store === 'mariadb') {
    if (serverUrl) throw new Error('a private MariaDB store server is not supported');
    const database = await createTempMysqlDatabase('accord_coord');
    return { url: database.url, drop: () => database.drop() };
  }
  const keys = createTempKeyPrefix('accord_coord', serverUrl);
  return { url: `${keys.url}/?prefix=${encodeURIComponent(keys.prefix)}`, drop: () => keys.drop() };
}

/** What a world has started so far, for tearing it down from any point. */
interface WorldParts {
  dir: { path: string; remove(): void };
  storage?: { drop(): Promise<void> };
  coordinators: CoordinatorProcess[];
  clients: AccordClient[];
  bankSchema?: { drop(): Promise<void> };
  banks: Bank[];
}

/** Stops everything in `parts`: coordinators first, so no call goes to a closed bank. */
function tearDownWorld(parts: WorldParts): Promise<void> {
  return teardown([
    ...parts.coordinators.map((c) => () => c.kill9()),
    ...parts.clients.map((c) => () => c.close()),
    ...parts.banks.flatMap((bank) => [() => bank.service.close(), () => bank.ledger.close()]),
    parts.bankSchema && (() => parts.bankSchema?.drop()),
    parts.storage && (() => parts.storage?.drop()),
    () => parts.dir.remove(),
  ]);
}

/**
 * Starts a world. Callers needing a service should check {@link requireService} first.
 * If any part fails to start, every part already started is stopped and removed before
 * the error is thrown.
 */
export async function startWorld(options: WorldOptions = {}): Promise<BankWorld> {
  const parts: WorldParts = {
    dir: tempDir('accord-world-'),
    coordinators: [],
    clients: [],
    banks: [],
  };
  try {
    return await buildWorld(options, parts);
  } catch (error) {
    await tearDownWorld(parts).catch(() => undefined);
    throw error;
  }
}

async function buildWorld(options: WorldOptions, parts: WorldParts): Promise<BankWorld> {
  const dir = parts.dir;
  const secret = randomBytes(16).toString('hex');
  const postgresSkip = await requireService('postgres');
  const storage = await coordinatorStorage(options.store ?? 'sqlite', options.storeServer);
  parts.storage = storage;
  const replicas = options.replicas ?? 1;
  for (let i = 0; i < replicas; i++) {
    const coordinator = new CoordinatorProcess({
      dataDir: replicas === 1 ? dir.path : `${dir.path}/replica-${i}`,
      ...(storage.url
        ? { store: options.storeUrl ? options.storeUrl(storage.url) : storage.url }
        : {}),
      env: { ACCORD_SIGNING_SECRET: secret, ACCORD_NODE_ID: String(i + 1), ...options.env },
    });
    parts.coordinators.push(coordinator);
    await coordinator.start();
  }
  const coordinators = parts.coordinators;
  const clients = coordinators.map((c) => new AccordClient({ url: c.url, signingSecret: secret }));
  parts.clients.push(...clients);
  let bankSchema: { url: string; drop(): Promise<void> } | null = null;
  if (!postgresSkip) {
    bankSchema = await createTempSchema('accord_bank');
    parts.bankSchema = bankSchema;
  }
  // Banks start msg transfers through the last replica, which tests never kill.
  const { a, b } = await startBanks({
    dir: dir.path,
    postgresUrl: bankSchema?.url ?? null,
    accord: clients[clients.length - 1]!,
    secret,
    openingBalance: options.openingBalance ?? 1_000,
  });
  parts.banks.push(a, b);
  return {
    coordinator: coordinators[0]!,
    coordinators,
    clients,
    accord: clients[0]!,
    a,
    b,
    secret,
    alice: { url: a.service.url, account: 'alice' },
    bob: { url: b.service.url, account: 'bob' },
    postgresSkip,
    close: () => tearDownWorld(parts),
  };
}

/**
 * The headers of a tcc try sent by hand, as the SDK client sends it: the Accord headers
 * and a signature with the world's secret, which the banks check on every call.
 */
export function tryHeaders(
  world: BankWorld,
  gid: string,
  branchId: string,
  body: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'accord-gid': gid,
    'accord-branch': branchId,
    'accord-op': 'try',
    'accord-mode': 'tcc',
    'accord-signature': signPayload(world.secret, { gid, branchId, op: 'try', mode: 'tcc' }, body),
  };
}

/** Balance of one account. */
export async function balanceOf(
  bank: Bank,
  account: string,
): Promise<{ balance: number; frozen: number; incoming: number }> {
  const row = (await bank.ledger.accounts()).find((a) => a.id === account);
  if (!row) throw new Error(`no account ${account}`);
  return row;
}

/** The client of the last replica, which tests never kill. */
export function survivor(world: BankWorld): AccordClient {
  return world.clients[world.clients.length - 1]!;
}

/** Waits until the transaction is terminal and returns it. */
export async function settled(
  world: BankWorld,
  gid: string,
  timeoutMs = 60_000,
): Promise<Transaction> {
  return waitFor(
    async () => {
      const { transaction } = await survivor(world)
        .query(gid)
        .catch(() => ({ transaction: undefined }));
      return transaction && (transaction.status === 'succeeded' || transaction.status === 'failed')
        ? transaction
        : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `transaction ${gid} to finish` },
  );
}

/** Waits until no transaction is left prepared, submitted or aborting. */
export async function allSettled(world: BankWorld, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    async () => {
      for (const status of ['prepared', 'submitted', 'aborting'] as const) {
        const page = await survivor(world)
          .list({ status, limit: 1 })
          .catch(() => undefined);
        if (!page || page.items.length > 0) return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 200, what: 'every transaction to finish' },
  );
}

/** The invariants: money conserved, nothing frozen or pending, no effect applied twice. */
export async function checkInvariants(world: BankWorld, expectedTotal: number): Promise<string[]> {
  const problems: string[] = [];
  const ta = await bankTotals(world.a);
  const tb = await bankTotals(world.b);
  if (ta.balance + tb.balance !== expectedTotal) {
    problems.push(`total balance ${ta.balance + tb.balance}, expected ${expectedTotal}`);
  }
  if (ta.frozen + tb.frozen !== 0) problems.push(`frozen ${ta.frozen + tb.frozen}, expected 0`);
  if (ta.incoming + tb.incoming !== 0)
    problems.push(`incoming ${ta.incoming + tb.incoming}, expected 0`);
  const dups = [...(await duplicateEffects(world.a)), ...(await duplicateEffects(world.b))];
  if (dups.length > 0) problems.push(`effects applied twice: ${dups.join(', ')}`);
  return problems;
}
