/**
 * The saga builder: steps with optional compensations, submitted in one create call.
 */
import type { CoordinatorApi } from './coordinator-api.js';
import type {
  CreateTransactionRequest,
  StepRequest,
  SubmitOptions,
  Transaction,
  TransactionOptionsInput,
} from './wire-types.js';

/** Where a saga starts: an optional gid (else the server makes one) and options. */
export interface SagaInit {
  gid?: string;
  options?: TransactionOptionsInput;
}

/**
 * One saga step; `P` types its payload.
 *
 * @example
 * const withdraw: SagaStep<{ account: string; amount: number }> = {
 *   action: 'http://bank/withdraw', compensate: 'http://bank/refund',
 *   payload: { account: 'A', amount: 100 },
 * };
 */
export type SagaStep<P = unknown> = StepRequest<P>;

/**
 * Builds a saga and submits it. Nothing is sent before {@link SagaBuilder.submit}.
 *
 * @example
 * interface Transfer { account: string; amount: number }
 * const tx = await accord
 *   .saga({ options: { timeoutMs: 60_000 } })
 *   .step<Transfer>({ id: 'out', action: `${a}/withdraw`, compensate: `${a}/refund`, payload: { account: 'A', amount: 5 } })
 *   .step<Transfer>({ id: 'in', action: `${b}/deposit`, payload: { account: 'B', amount: 5 }, dependsOn: ['out'] })
 *   .submit({ waitResult: true });
 */
export class SagaBuilder {
  readonly #api: CoordinatorApi;
  readonly #init: SagaInit;
  readonly #steps: StepRequest[] = [];

  constructor(api: CoordinatorApi, init: SagaInit = {}) {
    this.#api = api;
    this.#init = init;
  }

  /** Appends a step (ids default to `01`, `02`, … by position, on the server). */
  step<P = unknown>(step: SagaStep<P>): this {
    this.#steps.push({ ...step });
    return this;
  }

  /** The create request this builder would send. */
  toRequest(options: SubmitOptions = {}): CreateTransactionRequest {
    const body: CreateTransactionRequest = { mode: 'saga', steps: [...this.#steps] };
    if (this.#init.gid !== undefined) body.gid = this.#init.gid;
    if (this.#init.options !== undefined) body.options = this.#init.options;
    if (options.waitResult !== undefined) body.waitResult = options.waitResult;
    return body;
  }

  /**
   * Creates the saga, which starts running at once. With `waitResult` the answer comes
   * when it is terminal (or the wait passes); check `status` of the result.
   */
  async submit(options: SubmitOptions = {}): Promise<Transaction> {
    return this.#api.create(this.toRequest(options));
  }
}
