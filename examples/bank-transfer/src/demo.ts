/**
 * `npm run demo`: starts a coordinator and two bank services, runs a scripted mix of
 * transfers (saga, tcc, msg) with business refusals, transient 503s and lost replies
 * (duplicate deliveries), waits until every transaction is terminal, and prints a summary
 * proving the money is conserved and nothing was applied twice. Exits 1 if not.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AccordClient } from '@accord/client';
import { loadConfig, startServer } from '@accord/server';
import { bankTotals, duplicateEffects, startBanks } from './bank-setup.js';
import type { Bank } from './bank-setup.js';
import type { TransferRequest } from './transfers.js';
import { msgTransfer, sagaTransfer, tccTransfer } from './transfers.js';

const OPENING = 10_000;
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function postgresSchema(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const schema = `accord_demo_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch {
    return null;
  } finally {
    await admin.end().catch(() => undefined);
  }
  return {
    url: `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

function plan(
  a: Bank,
  b: Bank,
): Array<{ mode: 'saga' | 'tcc' | 'msg'; t: TransferRequest; expect: string }> {
  const A = { url: a.service.url, account: 'alice' };
  const B = { url: b.service.url, account: 'bob' };
  const out: Array<{ mode: 'saga' | 'tcc' | 'msg'; t: TransferRequest; expect: string }> = [];
  for (let i = 0; i < 60; i++) {
    const mode = (['saga', 'tcc', 'msg'] as const)[i % 3]!;
    const forward = i % 2 === 0;
    const refused = i % 10 === 9; // more than anyone has: a business refusal
    out.push({
      mode,
      t: {
        from: forward ? A : B,
        to: forward ? B : A,
        amount: refused ? 1_000_000 : 1 + ((i * 37) % 400),
      },
      expect: refused ? 'refused' : 'succeeded',
    });
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'accord-demo-'));
  const secret = randomBytes(16).toString('hex');
  const coordinator = await startServer(
    loadConfig(
      {},
      {
        ACCORD_PORT: '0',
        ACCORD_DATA_DIR: dir,
        ACCORD_LOG_LEVEL: 'warn',
        ACCORD_SIGNING_SECRET: secret,
        ACCORD_RETRY_FIRST_MS: '100',
        ACCORD_POLL_INTERVAL_MS: '50',
      },
    ),
  );
  const accord = new AccordClient({ url: coordinator.url, signingSecret: secret });
  const schema = await postgresSchema();
  const { a, b } = await startBanks({
    dir,
    postgresUrl: schema?.url ?? null,
    accord,
    secret,
    openingBalance: OPENING,
  });
  console.log(
    `coordinator ${coordinator.url} (SQLite), bank A ${a.service.url} (${a.ledger.kind}), bank B ${b.service.url} (${b.ledger.kind})`,
  );

  // Faults: transient 503s before the work, and replies lost after the work (duplicates).
  a.service.faults.arm({ route: '/saga/withdraw', kind: 'fail-before', count: 3 });
  b.service.faults.arm({ route: '/saga/deposit', kind: 'fail-after', count: 3 });
  a.service.faults.arm({ route: '/tcc/withdraw-confirm', kind: 'fail-after', count: 3 });
  b.service.faults.arm({ route: '/tcc/deposit-cancel', kind: 'fail-before', count: 2 });
  b.service.faults.arm({ route: '/msg/deposit', kind: 'fail-after', count: 3 });
  a.service.faults.arm({ route: '/msg/deposit', kind: 'fail-before', count: 2 });

  const before = (await bankTotals(a)).balance + (await bankTotals(b)).balance;
  const started = performance.now();
  const outcomes = await Promise.all(
    plan(a, b).map(async ({ mode, t }) => {
      try {
        if (mode === 'saga') return { mode, gid: (await sagaTransfer(accord, t)).gid, status: '' };
        if (mode === 'tcc') return { mode, gid: (await tccTransfer(accord, t)).gid, status: '' };
        return { mode, gid: (await msgTransfer(t)).gid, status: '' };
      } catch (error) {
        return {
          mode,
          gid: null,
          status: `refused by participant (${(error as Error).message.slice(0, 60)})`,
        };
      }
    }),
  );
  // Wait until the coordinator has nothing left in progress.
  const deadline = Date.now() + 60_000;
  let open = 1;
  while (open > 0 && Date.now() < deadline) {
    open = 0;
    for (const status of ['prepared', 'submitted', 'aborting'] as const) {
      open += (await accord.list({ status, limit: 500 })).items.length;
    }
    if (open > 0) await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (performance.now() - started) / 1000;
  // Final statuses, as the coordinator records them once everything settled.
  for (const o of outcomes) {
    if (o.gid) o.status = (await accord.query(o.gid)).transaction.status;
  }
  const totalsA = await bankTotals(a);
  const totalsB = await bankTotals(b);
  const after = totalsA.balance + totalsB.balance;
  const duplicates = [...(await duplicateEffects(a)), ...(await duplicateEffects(b))];

  const table = new Map<string, number>();
  for (const o of outcomes) {
    const key = `${o.mode.padEnd(5)} ${o.status.startsWith('refused') ? 'refused by participant' : o.status}`;
    table.set(key, (table.get(key) ?? 0) + 1);
  }
  console.log(`\n${outcomes.length} transfers in ${seconds.toFixed(1)} s`);
  for (const [key, n] of [...table].sort()) console.log(`  ${key.padEnd(40)} ${n}`);
  const skipped = [...a.service.calls, ...b.service.calls].filter(([k]) => !k.endsWith(' applied'));
  console.log('\ncalls the barrier absorbed (duplicates, empty compensations, hanging tries):');
  for (const [key, n] of skipped) console.log(`  ${key.padEnd(40)} ${n}`);
  const checks: Array<[string, boolean]> = [
    [`total balance conserved: ${before} before, ${after} after`, before === after],
    [
      `nothing frozen or in flight: frozen ${totalsA.frozen + totalsB.frozen}, incoming ${totalsA.incoming + totalsB.incoming}`,
      totalsA.frozen + totalsB.frozen === 0 && totalsA.incoming + totalsB.incoming === 0,
    ],
    [`every transaction terminal (${open} still open)`, open === 0],
    [
      `no effect applied twice${duplicates.length ? `: ${duplicates.join(', ')}` : ''}`,
      duplicates.length === 0,
    ],
  ];
  console.log('');
  for (const [text, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);

  await a.service.close();
  await b.service.close();
  await a.ledger.close();
  await b.ledger.close();
  await accord.close();
  await coordinator.close();
  await schema?.drop();
  rmSync(dir, { recursive: true, force: true });
  if (checks.some(([, ok]) => !ok)) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
