/**
 * Two-phase messages: prepare (the coordinator holds the message), run the local
 * transaction, then submit (deliver) or abort (drop). If the producer dies in between, the
 * coordinator asks `checkUrl` whether the local transaction committed.
 */
import { AccordError } from '@accord/core';
import type { CoordinatorApi } from './coordinator-api.js';
import { abortThenRethrow, reasonOf } from './abort-and-rethrow.js';
import type {
  CreateTransactionRequest,
  StepRequest,
  SubmitOptions,
  Transaction,
  TransactionOptionsInput,
} from './wire-types.js';

/** Where a message starts. */
export interface MsgInit {
  /** Omit to let the coordinator generate one at `prepare`. */
  gid?: string;
  /** The producer's check-back URL (answer it with `checkBackHandler`). */
  checkUrl: string;
  /**
   * Options of the message; `delayMs` or `deliverAt` delay its delivery (see
   * {@link MsgBuilder.deliverAfter}).
   */
  options?: TransactionOptionsInput;
}

/**
 * One delivery step of a message; `P` types its payload.
 *
 * @example
 * const credit: MsgStep<{ account: string; amount: number }> = {
 *   action: 'http://bank/credit', payload: { account: 'B', amount: 5 },
 * };
 */
export type MsgStep<P = unknown> = Omit<StepRequest<P>, 'compensate'>;

/** What {@link MsgBuilder.doAndSubmit} resolves to. */
export interface MsgResult<T> {
  /** The transaction as the submit answered it. */
  transaction: Transaction;
  /** What the callback returned. */
  result: T;
}

/**
 * Builds a two-phase message.
 *
 * @example
 * const msg = accord.msg({ checkUrl: `${me}/accord/check` }).step({ action: `${bank}/credit`, payload });
 * await msg.doAndSubmit((gid) =>
 *   db.transaction(() => {
 *     debit(db, payload);
 *     barrier.msg(db, gid); // lets the check-back tell commit from rollback
 *   })(),
 * );
 */
export class MsgBuilder {
  readonly #api: CoordinatorApi;
  readonly #init: MsgInit;
  readonly #steps: StepRequest[] = [];
  #gid: string | undefined;
  #prepared = false;
  #options: TransactionOptionsInput;

  constructor(api: CoordinatorApi, init: MsgInit) {
    this.#api = api;
    this.#init = init;
    this.#gid = init.gid;
    this.#options = { ...init.options };
  }

  /** The gid: the given one, or the server's once prepared. */
  get gid(): string | undefined {
    return this.#gid;
  }

  /** Appends a delivery step (ids default to `01`, `02`, … by position). */
  step<P = unknown>(step: MsgStep<P>): this {
    if (this.#prepared) {
      throw new AccordError('INVALID_STATE', 'msg already prepared: add steps before prepare()');
    }
    this.#steps.push({ ...step });
    return this;
  }

  /**
   * Delays the delivery: every step falls due `ms` after the submit (the whole message is
   * delayed, not one step; at most 30 days). Replaces an earlier {@link MsgBuilder.deliverAt}.
   *
   * @example
   * accord.msg({ checkUrl }).step({ action: `${orders}/close-if-unpaid` }).deliverAfter(30 * 60_000);
   */
  deliverAfter(ms: number): this {
    return this.#delay({ delayMs: ms });
  }

  /**
   * Delays the delivery until an instant: no step is delivered before `at` (at most 30 days
   * ahead; a time already past delivers at submit). Replaces an earlier
   * {@link MsgBuilder.deliverAfter}.
   */
  deliverAt(at: Date | string): this {
    return this.#delay({ deliverAt: at instanceof Date ? at.toISOString() : at });
  }

  #delay(delay: Pick<TransactionOptionsInput, 'delayMs' | 'deliverAt'>): this {
    if (this.#prepared) {
      throw new AccordError(
        'INVALID_STATE',
        'msg already prepared: set the delay before prepare()',
      );
    }
    const { delayMs: _ms, deliverAt: _at, ...options } = this.#options;
    this.#options = { ...options, ...delay };
    return this;
  }

  /** The create request `prepare` sends. */
  toRequest(): CreateTransactionRequest {
    const body: CreateTransactionRequest = {
      mode: 'msg',
      steps: [...this.#steps],
      checkUrl: this.#init.checkUrl,
    };
    if (this.#gid !== undefined) body.gid = this.#gid;
    if (this.#init.options !== undefined || Object.keys(this.#options).length > 0) {
      body.options = this.#options;
    }
    return body;
  }

  /** Creates the message, `prepared`: held by the coordinator, not delivered. Idempotent. */
  async prepare(): Promise<Transaction> {
    const tx = await this.#api.create(this.toRequest());
    this.#gid = tx.gid;
    this.#prepared = true;
    return tx;
  }

  /** Delivers the message (prepares it first if that was not done). */
  async submit(options: SubmitOptions = {}): Promise<Transaction> {
    if (!this.#prepared) await this.prepare();
    return this.#api.submit(this.#requireGid('submit'), options);
  }

  /** Drops a prepared message. */
  async abort(reason?: string): Promise<Transaction> {
    return this.#api.abort(this.#requireGid('abort'), reason !== undefined ? { reason } : {});
  }

  /**
   * prepare → `fn(gid)` (the local transaction, which should call `barrier.msg(tx, gid)`)
   * → submit. Whatever `fn` throws is rethrown unchanged.
   *
   * If `fn` throws a `BusinessFailure`, the local transaction refused and did not commit,
   * so the message is aborted at once. Any other error leaves the outcome unknown (the
   * commit may have happened and only its answer been lost), so the message stays
   * prepared: after its timeout the coordinator asks the check-back, which answers from
   * the barrier table whether the local transaction committed. Nothing committed is
   * dropped; nothing rolled back is delivered.
   */
  async doAndSubmit<T>(
    fn: (gid: string) => Promise<T> | T,
    options: SubmitOptions = {},
  ): Promise<MsgResult<T>> {
    await this.prepare();
    const gid = this.#requireGid('doAndSubmit');
    let result: T;
    try {
      result = await fn(gid);
    } catch (error) {
      if (error instanceof AccordError && error.code === 'BRANCH_FAILED') {
        return abortThenRethrow(() => this.#api.abort(gid, { reason: reasonOf(error) }), error);
      }
      throw error;
    }
    const transaction = await this.#api.submit(gid, options);
    return { transaction, result };
  }

  #requireGid(what: string): string {
    if (this.#gid === undefined) {
      throw new AccordError('INVALID_STATE', `msg has no gid yet: prepare() before ${what}()`);
    }
    return this.#gid;
  }
}
