/**
 * The world of the end-to-end and chaos tests: a real coordinator process, the two
 * bank services of the example (bank A on SQLite, bank B on PostgreSQL when present),
 * an SDK client, and the invariants every run must keep.
 */
import { randomBytes } from 'node:crypto';
import { AccordClient } from '@accord/client';
import type { Transaction } from '@accord/client';
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
  readonly openingBalance?: number;
  /** Extra coordinator settings. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts a world. Callers needing PostgreSQL should check {@link requireService} first. */
/** Isolated storage for the coordinators: a URL and how to remove it. */
async function coordinatorStorage(
  store: WorldStore,
): Promise<{ url?: string; drop(): Promise<void> }> {
  if (store === 'sqlite') return { drop: async () => undefined };
  if (store === 'redis-cluster') return redisClusterStorage();
  const skip = await requireService(store);
  if (skip) throw new Error(skip);
  if (store === 'postgres') {
    const schema = await createTempSchema('accord_coord');
    return { url: schema.url, drop: () => schema.drop() };
  }
  if (store === 'mariadb') {
    const database = await createTempMysqlDatabase('accord_coord');
    return { url: database.url, drop: () => database.drop() };
  }
  const keys = createTempKeyPrefix('accord_coord');
  return { url: `${keys.url}/?prefix=${encodeURIComponent(keys.prefix)}`, drop: () => keys.drop() };
}

/** Starts a world. Callers needing a service should check {@link requireService} first. */
export async function startWorld(options: WorldOptions = {}): Promise<BankWorld> {
  const dir = tempDir('accord-world-');
  const secret = randomBytes(16).toString('hex');
  const postgresSkip = await requireService('postgres');
  const storage = await coordinatorStorage(options.store ?? 'sqlite');
  const replicas = options.replicas ?? 1;
  const coordinators = Array.from(
    { length: replicas },
    (_, i) =>
      new CoordinatorProcess({
        dataDir: replicas === 1 ? dir.path : `${dir.path}/replica-${i}`,
        ...(storage.url
          ? { store: options.storeUrl ? options.storeUrl(storage.url) : storage.url }
          : {}),
        env: { ACCORD_SIGNING_SECRET: secret, ACCORD_NODE_ID: String(i + 1), ...options.env },
      }),
  );
  for (const c of coordinators) await c.start();
  const clients = coordinators.map((c) => new AccordClient({ url: c.url }));
  let bankSchema: { url: string; drop(): Promise<void> } | null = null;
  if (!postgresSkip) bankSchema = await createTempSchema('accord_bank');
  // Banks start msg transfers through the last replica, which tests never kill.
  const { a, b } = await startBanks({
    dir: dir.path,
    postgresUrl: bankSchema?.url ?? null,
    accord: clients[clients.length - 1]!,
    secret,
    openingBalance: options.openingBalance ?? 1_000,
  });
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
    async close() {
      for (const c of coordinators) await c.kill9();
      for (const c of clients) await c.close();
      for (const bank of [a, b]) {
        await bank.service.close();
        await bank.ledger.close();
      }
      await bankSchema?.drop();
      await storage.drop();
      dir.remove();
    },
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
  timeoutMs = 15_000,
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
export async function allSettled(world: BankWorld, timeoutMs = 60_000): Promise<void> {
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
