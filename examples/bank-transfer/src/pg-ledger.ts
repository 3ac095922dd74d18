/** The ledger on PostgreSQL (`pg`), guarded by the PostgreSQL barrier. */
import pg from 'pg';
import type { BarrierContext, PgQueryable } from '@accord/client/barrier';
import { BusinessFailure } from '@accord/client';
import { pgBarrier } from '@accord/client/barrier';
import type { Account, ApplyResult, Effect, Ledger, LedgerOp } from './ledger.js';
import { delta, OP_RULES } from './ledger.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  balance BIGINT NOT NULL,
  frozen BIGINT NOT NULL DEFAULT 0,
  incoming BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ledger_effects (
  gid TEXT NOT NULL, branch_id TEXT NOT NULL, op TEXT NOT NULL,
  ledger_op TEXT NOT NULL, account TEXT NOT NULL, amount BIGINT NOT NULL
);`;

/** A ledger in a PostgreSQL database (the URL may pin a schema with `options=-c search_path=…`). */
export class PgLedger implements Ledger {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly barrier = pgBarrier();

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 16 });
    // Idle connections the server drops must not crash the service.
    this.pool.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    await this.pool.query(SCHEMA);
    await this.barrier.migrate(this.pool);
  }

  async open(id: string, balance: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO accounts (id, balance) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET balance = excluded.balance, frozen = 0, incoming = 0`,
      [id, balance],
    );
  }

  private async inTransaction<T>(work: (client: PgQueryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const onError = () => undefined; // the failing query rejects by itself
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release();
    }
  }

  async apply(
    ctx: BarrierContext,
    op: LedgerOp,
    account: string,
    amount: number,
  ): Promise<ApplyResult> {
    const rule = OP_RULES[op];
    const result = await this.inTransaction((client) =>
      this.barrier.run(client, ctx, async (tx) => {
        const changed = await tx.query(
          `UPDATE accounts SET balance = balance + $1, frozen = frozen + $2, incoming = incoming + $3
           WHERE id = $4 AND (NOT $5 OR balance - frozen >= $6)`,
          [
            delta(rule.balance, amount),
            delta(rule.frozen, amount),
            delta(rule.incoming, amount),
            account,
            rule.needsFunds,
            amount,
          ],
        );
        if (changed.rowCount === 0)
          throw new BusinessFailure(`account ${account}: insufficient funds or unknown`);
        await tx.query('INSERT INTO ledger_effects VALUES ($1, $2, $3, $4, $5, $6)', [
          ctx.gid,
          ctx.branchId,
          ctx.op,
          op,
          account,
          amount,
        ]);
        return true;
      }),
    );
    return result.applied ? 'applied' : result.reason;
  }

  async debitForMessage(gid: string, account: string, amount: number): Promise<void> {
    await this.inTransaction(async (tx) => {
      const changed = await tx.query(
        'UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance - frozen >= $1',
        [amount, account],
      );
      if (changed.rowCount === 0)
        throw new BusinessFailure(`account ${account}: insufficient funds or unknown`);
      await tx.query('INSERT INTO ledger_effects VALUES ($1, $2, $3, $4, $5, $6)', [
        gid,
        '00',
        'msg',
        'debit',
        account,
        amount,
      ]);
      await this.barrier.msg(tx, gid);
    });
  }

  async checkPrepared(gid: string): Promise<'committed' | 'rolledback'> {
    return this.barrier.checkPrepared(this.pool, gid);
  }

  async accounts(): Promise<Account[]> {
    const { rows } = await this.pool.query<{
      id: string;
      balance: string;
      frozen: string;
      incoming: string;
    }>('SELECT id, balance, frozen, incoming FROM accounts ORDER BY id');
    return rows.map((r) => ({
      id: r.id,
      balance: Number(r.balance),
      frozen: Number(r.frozen),
      incoming: Number(r.incoming),
    }));
  }

  async effects(): Promise<Effect[]> {
    const { rows } = await this.pool.query<Effect & { amount: string }>(
      'SELECT gid, branch_id AS "branchId", op, ledger_op AS "ledgerOp", account, amount FROM ledger_effects',
    );
    return rows.map((r) => ({ ...r, amount: Number(r.amount) }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
