/**
 * The coordinator calls the saga, tcc, xa and msg builders make, as a port of their own:
 * `AccordClient` implements it, and tests hand the builders a fake.
 */
import type {
  AbortOptions,
  CreateTransactionRequest,
  RegisterBranchRequest,
  SubmitOptions,
  Transaction,
} from './wire-types.js';

/**
 * What the builders need of the coordinator (see `AccordClient` for each call).
 *
 * @example
 * const api: CoordinatorApi = new AccordClient({ url: 'http://127.0.0.1:8080' });
 */
export interface CoordinatorApi {
  /** `POST /v1/transactions`. */
  create(body: CreateTransactionRequest): Promise<Transaction>;
  /** `POST /v1/transactions/{gid}/branches`. */
  registerBranch(gid: string, body: RegisterBranchRequest): Promise<void>;
  /** `POST /v1/transactions/{gid}/submit`. */
  submit(gid: string, options?: SubmitOptions): Promise<Transaction>;
  /** `POST /v1/transactions/{gid}/abort`. */
  abort(gid: string, options?: AbortOptions): Promise<Transaction>;
}
