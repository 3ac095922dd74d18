/** The ledger on SQLite (better-sqlite3), guarded by the synchronous SQLite barrier. */
import Database from 'better-sqlite3';
import type { BarrierContext } from '@accord/client/barrier';
import { BusinessFailure } from '@accord/client';
import { sqliteBarrier } from '@accord/client/barrier';
import type { Account, ApplyResult, Effect, Ledger, LedgerOp } from './ledger.js';
import { delta, OP_RULES } from './ledger.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  balance INTEGER NOT NULL,
  frozen INTEGER NOT NULL DEFAULT 0,
  incoming INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ledger_effects (
  gid TEXT NOT NULL, branch_id TEXT NOT NULL, op TEXT NOT NULL,
  ledger_op TEXT NOT NULL, account TEXT NOT NULL, amount INTEGER NOT NULL
);`;

/** A ledger in a SQLite file. */
export class SqliteLedger implements Ledger {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly barrier = sqliteBarrier();

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
  }

  async migrate(): Promise<void> {
    this.db.exec(SCHEMA);
    this.barrier.migrate(this.db);
  }

  async open(id: string, balance: number): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO accounts (id, balance) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET balance = excluded.balance, frozen = 0, incoming = 0',
      )
      .run(id, balance);
  }

  async apply(
    ctx: BarrierContext,
    op: LedgerOp,
    account: string,
    amount: number,
  ): Promise<ApplyResult> {
    const rule = OP_RULES[op];
    const run = this.db.transaction(() =>
      this.barrier.run(this.db, ctx, () => {
        const changed = this.db
          .prepare(
            `UPDATE accounts SET balance = balance + ?, frozen = frozen + ?, incoming = incoming + ?
             WHERE id = ? AND (? = 0 OR balance - frozen >= ?)`,
          )
          .run(
            delta(rule.balance, amount),
            delta(rule.frozen, amount),
            delta(rule.incoming, amount),
            account,
            rule.needsFunds ? 1 : 0,
            amount,
          ).changes;
        if (changed === 0)
          throw new BusinessFailure(`account ${account}: insufficient funds or unknown`);
        this.db
          .prepare('INSERT INTO ledger_effects VALUES (?, ?, ?, ?, ?, ?)')
          .run(ctx.gid, ctx.branchId, ctx.op, op, account, amount);
        return true;
      }),
    );
    const result = run();
    return result.applied ? 'applied' : result.reason;
  }

  async debitForMessage(gid: string, account: string, amount: number): Promise<void> {
    this.db.transaction(() => {
      const changed = this.db
        .prepare('UPDATE accounts SET balance = balance - ? WHERE id = ? AND balance - frozen >= ?')
        .run(amount, account, amount).changes;
      if (changed === 0)
        throw new BusinessFailure(`account ${account}: insufficient funds or unknown`);
      this.db
        .prepare('INSERT INTO ledger_effects VALUES (?, ?, ?, ?, ?, ?)')
        .run(gid, '00', 'msg', 'debit', account, amount);
      this.barrier.msg(this.db, gid);
    })();
  }

  async checkPrepared(gid: string): Promise<'committed' | 'rolledback'> {
    return this.barrier.checkPrepared(this.db, gid);
  }

  async accounts(): Promise<Account[]> {
    return this.db
      .prepare('SELECT id, balance, frozen, incoming FROM accounts ORDER BY id')
      .all() as Account[];
  }

  async effects(): Promise<Effect[]> {
    return this.db
      .prepare(
        'SELECT gid, branch_id AS branchId, op, ledger_op AS ledgerOp, account, amount FROM ledger_effects',
      )
      .all() as Effect[];
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
