/**
 * The world of the XA end-to-end and chaos tests: one participant on PostgreSQL and one
 * on MariaDB (each with its own temporary schema/database and xid mark), coordinator
 * processes on SQLite or PostgreSQL started on demand, and the checks the tests share.
 * `close()` rolls back whatever a run left prepared before dropping anything, because a
 * prepared transaction keeps its locks.
 */
import { randomBytes } from 'node:crypto';
import { AccordClient, type Transaction, type XaBranch } from '@accord/client';
import { signPayload } from '@accord/client/participant';
import { ACCORD_HEADERS } from '@accord/core';
import { createTempSchema, requireService, tempDir, waitFor } from '@accord/testkit';
import { CoordinatorProcess } from './coordinator-process.js';
import { createMariaLedger, createPgLedger, type Move, type XaLedger } from './xa-ledger.js';
import { XaParticipantService } from './xa-participant.js';

/** Why the XA suites cannot run here (a skip line), or null. */
export async function xaSkip(): Promise<string | null> {
  return (await requireService('postgresXa')) ?? (await requireService('mariadb'));
}

/** A coordinator process and a client of it. */
export interface XaCoordinator {
  readonly process: CoordinatorProcess;
  readonly accord: AccordClient;
  /** kill -9, close the client, drop the store. */
  close(): Promise<void>;
}

/** How to start a coordinator. */
export interface XaCoordinatorOptions {
  /** SQLite in its data dir (default) or a fresh PostgreSQL schema. */
  readonly store?: 'sqlite' | 'postgres';
  /** `ACCORD_CRASH_POINTS` of the first start only. */
  readonly crashPoints?: string;
  /** Extra settings. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The running world. */
export interface XaWorld {
  /** The coordinator's signing secret, checked by both participants. */
  readonly secret: string;
  readonly pg: XaParticipantService;
  readonly maria: XaParticipantService;
  readonly participants: readonly XaParticipantService[];
  /** Starts a coordinator; the world closes it too if the test did not. */
  startCoordinator(options?: XaCoordinatorOptions): Promise<XaCoordinator>;
  /** Opens the accounts in both databases. */
  open(accounts: readonly string[], balance: number): Promise<void>;
  /** This run's prepared branches in both databases, as `<dialect>:<gid>/<branchId>`, sorted. */
  prepared(): Promise<string[]>;
  /** Stops coordinators and participants, rolls back leftovers, drops everything. */
  close(): Promise<void>;
}

/** Starts both participants on fresh databases. Check {@link xaSkip} first. */
export async function startXaWorld(): Promise<XaWorld> {
  const secret = randomBytes(16).toString('hex');
  const ledgers: XaLedger[] = [];
  const coordinators = new Set<XaCoordinator>();
  let participants: XaParticipantService[] = [];

  const close = async (): Promise<void> => {
    const problems: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        problems.push(error);
      }
    };
    for (const c of coordinators) await attempt(() => c.close());
    for (const p of participants) await attempt(() => p.stop());
    for (const l of ledgers) await attempt(() => l.close());
    if (problems.length > 0) throw new AggregateError(problems, 'xa world clean-up failed');
  };

  try {
    ledgers.push(await createPgLedger(), await createMariaLedger());
    participants = ledgers.map((l) => new XaParticipantService(l, secret));
    for (const p of participants) await p.start();
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  const [pgService, mariaService] = participants as [XaParticipantService, XaParticipantService];

  return {
    secret,
    pg: pgService,
    maria: mariaService,
    participants,
    async startCoordinator(options = {}) {
      const dir = tempDir('accord-xa-');
      const schema =
        options.store === 'postgres' ? await createTempSchema('accord_xa_coord') : undefined;
      const child = new CoordinatorProcess({
        dataDir: dir.path,
        ...(schema && { store: schema.url }),
        env: { ACCORD_SIGNING_SECRET: secret, ...options.env },
      });
      const remove = async (): Promise<void> => {
        await child.kill9();
        await schema?.drop();
        dir.remove();
      };
      try {
        await child.start(options.crashPoints ? { ACCORD_CRASH_POINTS: options.crashPoints } : {});
      } catch (error) {
        await remove().catch(() => undefined);
        throw error;
      }
      const accord = new AccordClient({ url: child.url, signingSecret: secret });
      const coordinator: XaCoordinator = {
        process: child,
        accord,
        async close() {
          coordinators.delete(coordinator);
          await accord.close();
          await remove();
        },
      };
      coordinators.add(coordinator);
      return coordinator;
    },
    async open(accounts, balance) {
      for (const l of ledgers) await l.open(accounts, balance);
    },
    async prepared() {
      const all: string[] = [];
      for (const l of ledgers) {
        for (const b of await l.prepared()) all.push(`${l.dialect}:${b.gid}/${b.branchId}`);
      }
      return all.sort();
    },
    close,
  };
}

/** An xa branch moving `move` on a participant (all three URLs on that service). */
export function branchOn(
  participant: XaParticipantService,
  move: Move,
  branchId?: string,
): XaBranch<Move> {
  return {
    ...(branchId !== undefined && { branchId }),
    local: participant.localUrl,
    commit: participant.phaseTwoUrl,
    rollback: participant.phaseTwoUrl,
    payload: move,
  };
}

/**
 * Calls a participant's local-work route as the client would (`Accord-Op: try`, signed
 * with the participant's secret), for tests that drive the branches themselves. Resolves
 * to the HTTP status.
 */
export async function callLocal(
  participant: XaParticipantService,
  gid: string,
  branchId: string,
  move: Move,
): Promise<number> {
  const body = JSON.stringify(move);
  const call = { gid, branchId, op: 'try', mode: 'xa' };
  const res = await fetch(participant.localUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [ACCORD_HEADERS.gid]: gid,
      [ACCORD_HEADERS.branch]: branchId,
      [ACCORD_HEADERS.op]: 'try',
      [ACCORD_HEADERS.mode]: 'xa',
      [ACCORD_HEADERS.signature]: signPayload(participant.secret, call, body),
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Waits until the transaction is `succeeded` or `failed` and returns it. */
export async function settled(
  accord: AccordClient,
  gid: string,
  timeoutMs = 15_000,
): Promise<Transaction> {
  return waitFor(
    async () => {
      const { transaction } = await accord.query(gid);
      return transaction.status === 'succeeded' || transaction.status === 'failed'
        ? transaction
        : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `transaction ${gid} to finish` },
  );
}

/** The entries of {@link XaWorld.prepared} that belong to one transaction. */
export function ofGid(prepared: readonly string[], gid: string): string[] {
  return prepared.filter((p) => p.includes(`:${gid}/`));
}
