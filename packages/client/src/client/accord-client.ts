/**
 * The coordinator's `/v1` API as a class, and the entry points of the saga, tcc, xa and
 * msg builders.
 */
import { ValidationError } from '@accord/core';
import type { CoordinatorApi } from './coordinator-api.js';
import type { Notification, NotificationQuery, NotificationRequest } from './notify-types.js';
import { errorFromAnswer, networkError, parseJson, unexpectedAnswer } from './errors-from-http.js';
import { HttpTransport } from './http-transport.js';
import { MsgBuilder, type MsgInit } from './msg.js';
import { SagaBuilder, type SagaInit } from './saga.js';
import { runTcc, type TccContext, type TccInit, type TccResult } from './tcc.js';
import type { LinksCallDeps, ParticipantLinkInput, TccRestAnswer } from './tcc-rest-links.js';
import { sendLinks } from './tcc-rest-links.js';
import type { TwoPhaseDeps } from './two-phase.js';
import { runXa, type XaContext, type XaInit, type XaResult } from './xa.js';
import type {
  AbortOptions,
  CreateTransactionRequest,
  ListFilters,
  QueryResult,
  RegisterBranchRequest,
  ResolveRequest,
  SubmitOptions,
  Transaction,
  TransactionPage,
  WaitResult,
} from './wire-types.js';
import { activeTraceHeaders } from '../tracing.js';

/**
 * How to reach the coordinator.
 *
 * @example
 * const options: AccordClientOptions = { url: 'http://127.0.0.1:8080', token: process.env.TOKEN };
 */
export interface AccordClientOptions {
  /** Base URL of the coordinator (`/v1/...` is appended). */
  url: string;
  /** Bearer token for the client routes (and the operator routes without `adminToken`). */
  token?: string;
  /** Bearer token for the operator routes `retry` and `resolve`; defaults to `token`. */
  adminToken?: string;
  /**
   * Timeout of each call, ms (default 10000). A call with `waitResult` gets the wait on
   * top (`true` counts as the server's default cap, 30000).
   */
  timeoutMs?: number;
  /**
   * The coordinator's signing secret (`ACCORD_SIGNING_SECRET`). With it, the tcc `try` and
   * xa local-work calls this client makes itself carry `Accord-Signature`, like the
   * coordinator's own calls, so participant helpers given the same `secret` accept them.
   */
  signingSecret?: string;
}

const DEFAULTS = { timeoutMs: 10_000 };
/** What `waitResult: true` adds to a call's timeout: the server's default wait cap. */
const SERVER_WAIT_CAP_MS = 30_000;

interface CallSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly admin?: boolean;
  readonly waitResult?: WaitResult | undefined;
}

function extraWait(waitResult: WaitResult | undefined): number {
  if (waitResult === true) return SERVER_WAIT_CAP_MS;
  return typeof waitResult === 'number' && waitResult > 0 ? waitResult : 0;
}

function pickTransaction(json: unknown): Transaction | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const tx = (json as { transaction?: unknown }).transaction;
  return typeof tx === 'object' && tx !== null ? (tx as Transaction) : undefined;
}

function timeParam(value: Date | number | string): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/**
 * Client of an Accord coordinator. One instance per process is enough: it keeps a pool of
 * keep-alive connections; call {@link AccordClient.close} on shutdown.
 *
 * Coordinator errors are thrown as `AccordError` with the server's code, message and
 * details; no answer at all (refused, reset, timeout) as `AccordError('COORDINATOR_ERROR')`.
 *
 * @example
 * const accord = new AccordClient({ url: 'http://127.0.0.1:8080' });
 * const tx = await accord
 *   .saga()
 *   .step({ action: 'http://bank/withdraw', compensate: 'http://bank/refund', payload })
 *   .submit({ waitResult: true });
 * console.log(tx.status);
 */
export class AccordClient implements CoordinatorApi {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #adminToken: string | undefined;
  readonly #timeoutMs: number;
  readonly #signingSecret: string | undefined;
  readonly #http = new HttpTransport();

  constructor(options: AccordClientOptions) {
    const opts = { ...DEFAULTS, ...options } satisfies AccordClientOptions;
    let url: URL | undefined;
    try {
      url = new URL(opts.url);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ValidationError([{ path: 'url', message: 'must be an http(s) URL' }]);
    }
    if (!Number.isInteger(opts.timeoutMs) || opts.timeoutMs < 1) {
      throw new ValidationError([{ path: 'timeoutMs', message: 'must be an integer >= 1' }]);
    }
    if (opts.signingSecret !== undefined && opts.signingSecret.length === 0) {
      throw new ValidationError([{ path: 'signingSecret', message: 'must not be empty' }]);
    }
    this.#base = url.href.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#adminToken = opts.adminToken ?? opts.token;
    this.#timeoutMs = opts.timeoutMs;
    this.#signingSecret = opts.signingSecret;
  }

  /**
   * Creates a transaction (`POST /v1/transactions`). A saga starts running at once; tcc
   * and msg start `prepared`. Repeating the same create is idempotent.
   *
   * @example
   * const tx = await accord.create({ mode: 'tcc' }); // tx.gid generated by the server
   */
  async create(body: CreateTransactionRequest): Promise<Transaction> {
    return this.#transaction({
      method: 'POST',
      path: '/v1/transactions',
      body,
      waitResult: body.waitResult,
    });
  }

  /**
   * Registers a tcc branch (`confirm`/`cancel`) or an xa branch (`commit`/`rollback`); do
   * it *before* calling the branch's try or local work. Repeating the same registration
   * is a no-op.
   *
   * @example
   * await accord.registerBranch(gid, { branchId: '01', confirm, cancel, payload });
   */
  async registerBranch(gid: string, body: RegisterBranchRequest): Promise<void> {
    await this.#call({ method: 'POST', path: `${txPath(gid)}/branches`, body });
  }

  /**
   * Submits a prepared tcc, xa or msg transaction. Idempotent.
   *
   * @example
   * const tx = await accord.submit(gid, { waitResult: 5000 });
   */
  async submit(gid: string, options: SubmitOptions = {}): Promise<Transaction> {
    return this.#transaction({
      method: 'POST',
      path: `${txPath(gid)}/submit`,
      body: options,
      waitResult: options.waitResult,
    });
  }

  /**
   * Aborts a prepared tcc, xa or msg transaction (a saga cannot be aborted by its client).
   *
   * @example
   * await accord.abort(gid, { reason: 'out of stock' });
   */
  async abort(gid: string, options: AbortOptions = {}): Promise<Transaction> {
    return this.#transaction({ method: 'POST', path: `${txPath(gid)}/abort`, body: options });
  }

  /**
   * A transaction with its branches and attempt history.
   *
   * @example
   * const { transaction, history } = await accord.query('order-42');
   */
  async query(gid: string): Promise<QueryResult> {
    const { json, status, text } = await this.#call({ method: 'GET', path: txPath(gid) });
    const transaction = pickTransaction(json);
    const history = (json as { history?: unknown } | undefined)?.history;
    if (!transaction || !Array.isArray(history)) throw unexpectedAnswer('query', status, text);
    return { transaction, history: history as QueryResult['history'] };
  }

  /**
   * One page of transactions, newest first.
   *
   * @example
   * let page = await accord.list({ status: 'failed' });
   * while (page.nextCursor) page = await accord.list({ status: 'failed', cursor: page.nextCursor });
   */
  async list(filters: ListFilters = {}): Promise<TransactionPage> {
    const params = new URLSearchParams();
    const { since, until, ...plain } = filters;
    for (const [key, value] of Object.entries(plain)) {
      if (value !== undefined) params.set(key, String(value));
    }
    if (since !== undefined) params.set('since', timeParam(since));
    if (until !== undefined) params.set('until', timeParam(until));
    const search = params.toString();
    const query = search ? `?${search}` : '';
    const { json, status, text } = await this.#call({
      method: 'GET',
      path: `/v1/transactions${query}`,
    });
    const page = json as Partial<TransactionPage> | undefined;
    if (!page || !Array.isArray(page.items)) throw unexpectedAnswer('list', status, text);
    return { items: page.items, nextCursor: page.nextCursor ?? null };
  }

  /**
   * Operator: unparks a transaction and runs it now (needs the admin token).
   *
   * @example
   * await accord.retry('order-42');
   */
  async retry(gid: string): Promise<Transaction> {
    return this.#transaction({ method: 'POST', path: `${txPath(gid)}/retry`, admin: true });
  }

  /**
   * Operator: marks a non-terminal transaction terminal by hand (needs the admin token).
   *
   * @example
   * await accord.resolve('order-42', { status: 'failed', reason: 'refunded by support' });
   */
  async resolve(gid: string, body: ResolveRequest): Promise<Transaction> {
    return this.#transaction({
      method: 'POST',
      path: `${txPath(gid)}/resolve`,
      body,
      admin: true,
    });
  }

  /**
   * `count` time-ordered 64-bit ids from the coordinator, as decimal strings.
   *
   * @example
   * const [gid] = await accord.ids(1);
   */
  async ids(count = 1): Promise<string[]> {
    const { json, status, text } = await this.#call({
      method: 'POST',
      path: `/v1/ids?count=${encodeURIComponent(count)}`,
    });
    const ids = (json as { ids?: unknown } | undefined)?.ids;
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
      throw unexpectedAnswer('ids', status, text);
    }
    return ids;
  }

  /**
   * Starts a saga builder.
   *
   * @example
   * await accord.saga({ gid: 'order-42' }).step({ action, compensate, payload }).submit();
   */
  saga(init: SagaInit = {}): SagaBuilder {
    return new SagaBuilder(this, init);
  }

  /**
   * Runs a tcc transaction: `fn` registers and tries branches through `tcc.branch`; when
   * it returns the transaction is submitted, when it throws it is aborted and the error
   * rethrown.
   *
   * @example
   * const { transaction } = await accord.tcc(async (tcc) => {
   *   await tcc.branch({ try: `${bank}/try`, confirm: `${bank}/confirm`, cancel: `${bank}/cancel`, payload });
   * });
   */
  async tcc<R>(fn: (tcc: TccContext) => Promise<R>, init: TccInit = {}): Promise<TccResult<R>> {
    return runTcc(this.#twoPhaseDeps(), fn, init);
  }

  /**
   * Runs an xa transaction: `fn` registers branches and calls their local-work URLs
   * through `xa.branch` (each participant leaves its database work prepared); when it
   * returns the transaction is submitted (the coordinator commits every branch), when it
   * throws it is aborted (every branch rolled back) and the error rethrown.
   *
   * @example
   * const { transaction } = await accord.xa(async (xa) => {
   *   await xa.branch({ local: `${bank}/xa/debit`, commit: `${bank}/xa/2pc`, rollback: `${bank}/xa/2pc`, payload });
   * });
   */
  async xa<R>(fn: (xa: XaContext) => Promise<R>, init: XaInit = {}): Promise<XaResult<R>> {
    return runXa(this.#twoPhaseDeps(), fn, init);
  }

  /**
   * Starts a two-phase message builder.
   *
   * @example
   * await accord
   *   .msg({ checkUrl: `${me}/check` })
   *   .step({ action: `${other}/credit`, payload })
   *   .doAndSubmit(async (gid) => localTransaction(gid));
   */
  msg(init: MsgInit): MsgBuilder {
    return new MsgBuilder(this, init);
  }

  /**
   * Hands a best-effort notification to the coordinator, which delivers it on its
   * schedule until the receiver acknowledges it. Repeating the same id is idempotent.
   * `delayMs` (after now) or `deliverAt` (an ISO time) delay the first delivery, at most 30
   * days; the schedule of redeliveries starts from there.
   *
   * @example
   * await accord.notify({ id: `pay-${orderId}`, url: merchantCallback, payload, ackBody: 'success' });
   * await accord.notify({ url: reminderHook, payload, delayMs: 24 * 3_600_000 });
   */
  async notify<P>(body: NotificationRequest<P>): Promise<Notification> {
    const { json, status, text } = await this.#call({
      method: 'POST',
      path: '/v1/notifications',
      body,
    });
    const notification = (json as { notification?: Notification } | undefined)?.notification;
    if (!notification) throw unexpectedAnswer('notify', status, text);
    return notification;
  }

  /**
   * A notification and its delivery attempts: what a receiver asks when it missed the
   * callbacks, or a sender to see how delivery went.
   *
   * @example
   * const { notification } = await accord.notification('pay-42');
   * if (notification.status === 'failed') alertSomeone(notification.lastError);
   */
  async notification(id: string): Promise<NotificationQuery> {
    const { json, status, text } = await this.#call({
      method: 'GET',
      path: `/v1/notifications/${encodeURIComponent(id)}`,
    });
    const answer = json as Partial<NotificationQuery> | undefined;
    if (!answer?.notification || !Array.isArray(answer.history)) {
      throw unexpectedAnswer('notification', status, text);
    }
    return { notification: answer.notification, history: answer.history };
  }

  /** Closes the connection pool; the client must not be used afterwards. */
  /**
   * TCC for REST: asks the coordinator to confirm participant links (each with `PUT`),
   * and answers 204 (all confirmed), 404 (all cancelled or timed out) or 409 (a heuristic
   * outcome, each link's outcome listed). A link about to expire makes it cancel all (404).
   *
   * @example
   * const { status } = await accord.confirmLinks([{ uri: seatA, expires }, { uri: seatB, expires }]);
   */
  confirmLinks(links: readonly ParticipantLinkInput[]): Promise<TccRestAnswer> {
    return sendLinks(this.#linksDeps(), 'confirm', links);
  }

  /**
   * TCC for REST: asks the coordinator to cancel participant links (each with `DELETE`);
   * 204, or 409 when some link had been confirmed already.
   *
   * @example
   * await accord.cancelLinks([{ uri: seatA, expires }]);
   */
  cancelLinks(links: readonly ParticipantLinkInput[]): Promise<TccRestAnswer> {
    return sendLinks(this.#linksDeps(), 'cancel', links);
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  #linksDeps(): LinksCallDeps {
    return {
      http: this.#http,
      base: this.#base,
      token: this.#token,
      timeoutMs: this.#timeoutMs + SERVER_WAIT_CAP_MS,
    };
  }

  #twoPhaseDeps(): TwoPhaseDeps {
    return {
      api: this,
      http: this.#http,
      timeoutMs: this.#timeoutMs,
      signingSecret: this.#signingSecret ?? null,
    };
  }

  async #transaction(spec: CallSpec): Promise<Transaction> {
    const { json, status, text } = await this.#call(spec);
    const tx = pickTransaction(json);
    if (!tx) throw unexpectedAnswer(`${spec.method} ${spec.path}`, status, text);
    return tx;
  }

  async #call(spec: CallSpec): Promise<{ json: unknown; status: number; text: string }> {
    // The active trace context goes along, so the transaction joins the caller's trace.
    const headers: Record<string, string> = { ...activeTraceHeaders(), accept: 'application/json' };
    const token = spec.admin ? this.#adminToken : this.#token;
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    const what = `${spec.method} ${spec.path}`;
    let answer;
    try {
      answer = await this.#http.send({
        method: spec.method,
        url: this.#base + spec.path,
        headers,
        body,
        timeoutMs: this.#timeoutMs + extraWait(spec.waitResult),
      });
    } catch (error) {
      throw networkError(what, error);
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw errorFromAnswer(answer.status, answer.text);
    }
    return { json: parseJson(answer.text), status: answer.status, text: answer.text };
  }
}

function txPath(gid: string): string {
  return `/v1/transactions/${encodeURIComponent(gid)}`;
}
