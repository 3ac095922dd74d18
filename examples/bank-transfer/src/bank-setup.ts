/**
 * Starts the two banks of the example: bank A on SQLite, bank B on PostgreSQL when one
 * is reachable (else SQLite too), each service with its own database.
 */
import { join } from 'node:path';
import type { AccordClient } from '@accord/client';
import type { AccountService } from './account-service.js';
import { startAccountService } from './account-service.js';
import type { Ledger } from './ledger.js';
import { PgLedger } from './pg-ledger.js';
import { SqliteLedger } from './sqlite-ledger.js';

/** A started bank: its service and its ledger. */
export interface Bank {
  readonly name: string;
  readonly service: AccountService;
  readonly ledger: Ledger;
}

/** Options of {@link startBanks}. */
export interface BankSetup {
  /** Where SQLite ledgers live. */
  readonly dir: string;
  /** PostgreSQL URL for bank B (already pointing at its own schema), or null for SQLite. */
  readonly postgresUrl: string | null;
  readonly accord: AccordClient;
  readonly secret?: string;
  /** Opening balance of each bank's one account. */
  readonly openingBalance: number;
}

/**
 * Starts bank A (account `alice`) and bank B (account `bob`). If either fails to start,
 * whatever was opened already is closed before the error is thrown.
 */
export async function startBanks(setup: BankSetup): Promise<{ a: Bank; b: Bank }> {
  const ledgerA = new SqliteLedger(join(setup.dir, 'bank-a.db'));
  const ledgerB: Ledger = setup.postgresUrl
    ? new PgLedger(setup.postgresUrl)
    : new SqliteLedger(join(setup.dir, 'bank-b.db'));
  const banks: Bank[] = [];
  try {
    for (const [name, ledger, account] of [
      ['A', ledgerA, 'alice'],
      ['B', ledgerB, 'bob'],
    ] as const) {
      await ledger.migrate();
      await ledger.open(account, setup.openingBalance);
      const service = await startAccountService({
        name,
        ledger,
        accord: setup.accord,
        ...(setup.secret ? { secret: setup.secret } : {}),
      });
      banks.push({ name, service, ledger });
    }
  } catch (error) {
    for (const bank of banks) await bank.service.close().catch(() => undefined);
    for (const ledger of [ledgerA, ledgerB]) await ledger.close().catch(() => undefined);
    throw error;
  }
  return { a: banks[0]!, b: banks[1]! };
}

/** Total money in a bank: balances plus money in flight towards it. */
export async function bankTotals(
  bank: Bank,
): Promise<{ balance: number; frozen: number; incoming: number }> {
  const accounts = await bank.ledger.accounts();
  return {
    balance: accounts.reduce((s, a) => s + a.balance, 0),
    frozen: accounts.reduce((s, a) => s + a.frozen, 0),
    incoming: accounts.reduce((s, a) => s + a.incoming, 0),
  };
}

/** Effects applied more than once for the same (gid, branch, op) — must be none. */
export async function duplicateEffects(bank: Bank): Promise<string[]> {
  const seen = new Map<string, number>();
  for (const e of await bank.ledger.effects()) {
    const key = `${e.gid}/${e.branchId}/${e.op}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
}
