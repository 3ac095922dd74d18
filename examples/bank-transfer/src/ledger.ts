/**
 * The account ledger of one bank: money moves only through these operations, each run
 * behind the Accord barrier inside one local transaction, and each applied effect is
 * written to an effects log so tests can prove nothing was applied twice.
 */
import type { BarrierContext } from '@accord/client/barrier';

/** What an account operation does to the row. */
export type LedgerOp =
  /** saga: take money out, refusing when the available balance is short. */
  | 'debit'
  /** saga: put money in. */
  | 'credit'
  /** saga compensation of a credit: take it back even if that overdraws. */
  | 'reverse-credit'
  /** tcc try of a withdrawal: freeze the amount. */
  | 'freeze'
  /** tcc confirm of a withdrawal: the frozen amount leaves the account. */
  | 'settle-frozen'
  /** tcc cancel of a withdrawal: unfreeze. */
  | 'unfreeze'
  /** tcc try of a deposit: note the incoming amount (not spendable yet). */
  | 'hold-incoming'
  /** tcc confirm of a deposit: the incoming amount becomes balance. */
  | 'settle-incoming'
  /** tcc cancel of a deposit: drop the incoming amount. */
  | 'drop-incoming';

/** How an op changes an account, and when it refuses. */
interface OpRule {
  readonly balance: -1 | 0 | 1;
  readonly frozen: -1 | 0 | 1;
  readonly incoming: -1 | 0 | 1;
  /** Refuse unless `balance - frozen >= amount`. */
  readonly needsFunds: boolean;
}

/** Every op as data; both dialects apply the same rules. */
export const OP_RULES: Record<LedgerOp, OpRule> = {
  debit: { balance: -1, frozen: 0, incoming: 0, needsFunds: true },
  credit: { balance: 1, frozen: 0, incoming: 0, needsFunds: false },
  'reverse-credit': { balance: -1, frozen: 0, incoming: 0, needsFunds: false },
  freeze: { balance: 0, frozen: 1, incoming: 0, needsFunds: true },
  'settle-frozen': { balance: -1, frozen: -1, incoming: 0, needsFunds: false },
  unfreeze: { balance: 0, frozen: -1, incoming: 0, needsFunds: false },
  'hold-incoming': { balance: 0, frozen: 0, incoming: 1, needsFunds: false },
  'settle-incoming': { balance: 1, frozen: 0, incoming: -1, needsFunds: false },
  'drop-incoming': { balance: 0, frozen: 0, incoming: -1, needsFunds: false },
};

/** One account row. */
export interface Account {
  readonly id: string;
  readonly balance: number;
  readonly frozen: number;
  readonly incoming: number;
}

/** One applied effect, as logged. */
export interface Effect {
  readonly gid: string;
  readonly branchId: string;
  readonly op: string;
  readonly ledgerOp: LedgerOp;
  readonly account: string;
  readonly amount: number;
}

/** What one guarded call did. */
export type ApplyResult = 'applied' | 'duplicate' | 'hanging' | 'empty-compensation';

/** A bank's ledger, whatever database holds it. */
export interface Ledger {
  /** Short name of the database, for summaries. */
  readonly kind: string;
  /** Creates the tables (and the barrier table) if missing. */
  migrate(): Promise<void>;
  /** Opens (or resets) an account with a balance. */
  open(id: string, balance: number): Promise<void>;
  /**
   * Applies `op` behind the barrier in one local transaction. Throws `BusinessFailure`
   * when the rule refuses (short funds, unknown account).
   */
  apply(ctx: BarrierContext, op: LedgerOp, account: string, amount: number): Promise<ApplyResult>;
  /**
   * msg producer: debits and records the message barrier in one local transaction, so the
   * coordinator's check-back can tell whether it committed.
   */
  debitForMessage(gid: string, account: string, amount: number): Promise<void>;
  /** msg check-back answer. */
  checkPrepared(gid: string): Promise<'committed' | 'rolledback'>;
  accounts(): Promise<Account[]>;
  effects(): Promise<Effect[]>;
  close(): Promise<void>;
}

/** Signed change of a column for `amount`. */
export function delta(direction: -1 | 0 | 1, amount: number): number {
  return direction * amount;
}
