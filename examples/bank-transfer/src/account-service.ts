/**
 * One bank as an HTTP service: saga, tcc and msg routes over its ledger, each a
 * participant of Accord (SDK handlers: headers, signatures, 409/425/500 mapping).
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { AccordClient } from '@accord/client';
import { BusinessFailure } from '@accord/client';
import {
  ACCORD_HEADERS,
  accordFastifyBodyParser,
  accordFastifyHandler,
} from '@accord/client/participant';
import { checkBackHandler } from '@accord/client/barrier';
import { CallMonitor } from './call-monitor.js';
import type { Fault } from './faults.js';
import { FaultInjector } from './faults.js';
import type { Ledger, LedgerOp } from './ledger.js';

/** The body of every money route. */
export interface MoneyBody {
  readonly account: string;
  readonly amount: number;
}

/** How a bank service is set up. */
export interface AccountServiceOptions {
  readonly name: string;
  readonly ledger: Ledger;
  /** Verifies `Accord-Signature` on coordinator calls when set. */
  readonly secret?: string;
  /** Needed for msg transfers this bank starts. */
  readonly accord?: AccordClient;
}

/** Routes that move money, and the ledger op each performs. */
export const MONEY_ROUTES: Record<string, LedgerOp> = {
  '/saga/withdraw': 'debit',
  '/saga/withdraw-revert': 'credit',
  '/saga/deposit': 'credit',
  '/saga/deposit-revert': 'reverse-credit',
  '/tcc/withdraw-try': 'freeze',
  '/tcc/withdraw-confirm': 'settle-frozen',
  '/tcc/withdraw-cancel': 'unfreeze',
  '/tcc/deposit-try': 'hold-incoming',
  '/tcc/deposit-confirm': 'settle-incoming',
  '/tcc/deposit-cancel': 'drop-incoming',
  '/msg/deposit': 'credit',
};

/** A running bank service. */
export interface AccountService {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly faults: FaultInjector;
  /** Overlapping coordinator calls seen (must stay empty). */
  readonly monitor: CallMonitor;
  /** How many calls each route answered, by outcome of the barrier. */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

function isMoneyBody(value: unknown): value is MoneyBody {
  const body = value as Partial<MoneyBody> | undefined;
  return (
    typeof body?.account === 'string' && Number.isInteger(body.amount) && (body.amount ?? 0) > 0
  );
}

/** Starts a bank service on 127.0.0.1 (port 0 = any free port). */
export async function startAccountService(
  options: AccountServiceOptions,
  port = 0,
): Promise<AccountService> {
  const { ledger } = options;
  const app = Fastify({ logger: false });
  accordFastifyBodyParser(app);
  const monitor = new CallMonitor();
  // Before the fault hooks, so a delayed request counts as open from its arrival.
  app.addHook('onRequest', async (request, reply) => {
    const h = request.headers;
    const [gid, branch, op] = [
      h[ACCORD_HEADERS.gid],
      h[ACCORD_HEADERS.branch],
      h[ACCORD_HEADERS.op],
    ];
    if (typeof gid === 'string' && typeof branch === 'string' && typeof op === 'string') {
      reply.raw.once('close', monitor.opened(`${gid}/${branch}/${op}`));
    }
  });
  const faults = new FaultInjector();
  faults.install(app);
  const calls = new Map<string, number>();
  // Routes of the bank's own API (not called by the coordinator): refusals are 409s.
  app.setErrorHandler((error, _request, reply) => {
    const refused = error instanceof BusinessFailure;
    return reply
      .code(refused ? 409 : 500)
      .send({ error: refused ? error.message : 'internal error' });
  });
  const handlerOptions = options.secret ? { secret: options.secret } : {};

  for (const [route, op] of Object.entries(MONEY_ROUTES)) {
    app.post(
      route,
      accordFastifyHandler(async (ctx, body) => {
        if (!isMoneyBody(body))
          throw new Error('body must be { account: string, amount: positive integer }');
        const result = await monitor.around(ctx, () =>
          ledger.apply(ctx, op, body.account, body.amount),
        );
        const key = `${route} ${result}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return { result };
      }, handlerOptions),
    );
  }

  app.post(
    '/msg/check',
    accordFastifyHandler(
      checkBackHandler((gid) => ledger.checkPrepared(gid)),
      handlerOptions,
    ),
  );

  // Starts a msg transfer out of this bank: debit here in a local transaction, then the
  // message delivers the credit to the other bank.
  app.post<{
    Body: { gid?: string; from: string; to: { url: string; account: string }; amount: number };
  }>('/transfers/msg', async (request) => {
    if (!options.accord) throw new Error('this service has no Accord client');
    const { gid, from, to, amount } = request.body;
    const msg = options.accord
      .msg({ ...(gid ? { gid } : {}), checkUrl: `${url}/msg/check` })
      .step({ action: `${to.url}/msg/deposit`, payload: { account: to.account, amount } });
    const { transaction } = await msg.doAndSubmit((id) => ledger.debitForMessage(id, from, amount));
    return { gid: transaction.gid, status: transaction.status };
  });

  app.get('/accounts', async () => ({ bank: options.name, accounts: await ledger.accounts() }));
  app.post<{ Body: Fault }>('/admin/faults', async (request) => {
    faults.arm(request.body);
    return { armed: request.body };
  });

  const address = await app.listen({ host: '127.0.0.1', port });
  const url = address;
  return {
    app,
    url,
    faults,
    monitor,
    calls,
    async close() {
      await app.close();
    },
  };
}
