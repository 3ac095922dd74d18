/**
 * DTM's coordinator actions for the JSON transports: the HTTP routes under `/api/dtmsvr`
 * and the JSON-RPC endpoint both call these. Each reads DTM's JSON body, runs the
 * transport-free operation (dtm-operations.ts, shared with gRPC) and answers DTM's result,
 * or throws (a {@link ValidationError}, or an AccordError that dtm-reply.ts maps to
 * FAILURE / ONGOING).
 */
import { ValidationError } from '@accord/core';
import { toDtmCreate, type DtmTransBody } from './dtm-body.js';
import type { DtmOperationsDeps } from './dtm-operations.js';
import { dtmAbort, dtmPrepare, dtmRegister, dtmSubmit, gidOf } from './dtm-operations.js';
import { DTM_SUCCESS, waitedReply } from './dtm-reply.js';

/** A request's headers; its `traceparent` / `tracestate` become the transaction's trace. */
type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** What the DTM actions need. */
export interface DtmServiceDeps extends DtmOperationsDeps {
  readonly waitResultCapMs: number;
}

/** DTM's actions over one engine, for JSON bodies. */
export class DtmService {
  constructor(private readonly deps: DtmServiceDeps) {}

  /** A new gid. */
  newGid(): string {
    return this.deps.create.newGid();
  }

  /** `prepare`: stores a tcc/xa/msg `prepared`; repeating it while prepared is a success. */
  async prepare(body: DtmTransBody, headers?: RequestHeaders): Promise<typeof DTM_SUCCESS> {
    await dtmPrepare(this.deps, { ...this.translate(body), headers });
    return DTM_SUCCESS;
  }

  /** `submit`: creates and runs (saga, msg at once) or submits a prepared transaction. */
  async submit(body: DtmTransBody, headers?: RequestHeaders): Promise<typeof DTM_SUCCESS> {
    const dtm = { ...this.translate(body), headers };
    const snapshot = await dtmSubmit(this.deps, dtm, this.wait(dtm.waitResult));
    return dtm.waitResult ? waitedReply(snapshot, 'succeeded') : DTM_SUCCESS;
  }

  /**
   * `abort` with `rollback_reason`. With `wait_result` it answers once the abort is done
   * (success), or ONGOING when the wait cap passes first.
   */
  async abort(body: DtmTransBody): Promise<typeof DTM_SUCCESS> {
    const gid = gidOf(body);
    const reason = typeof body.rollback_reason === 'string' ? body.rollback_reason : undefined;
    const waitResult = body.wait_result === true;
    const snapshot = await dtmAbort(this.deps, gid, reason, this.wait(waitResult));
    return waitResult ? waitedReply(snapshot, 'failed') : DTM_SUCCESS;
  }

  /**
   * `registerBranch` (an object of strings): tcc names a URL per op (`confirm`,
   * `cancel`), xa one `url` for both phase-two ops; `data` is the body of each call.
   */
  async register(body: unknown): Promise<typeof DTM_SUCCESS> {
    if (
      typeof body !== 'object' ||
      body === null ||
      Array.isArray(body) ||
      !Object.values(body).every((v) => typeof v === 'string')
    ) {
      throw new ValidationError([{ path: '', message: 'must be an object of strings' }]);
    }
    const fields = body as Record<string, string>;
    await dtmRegister(this.deps, { gid: gidOf(fields), fields, payload: fields['data'] ?? '' });
    return DTM_SUCCESS;
  }

  private translate(body: DtmTransBody) {
    return toDtmCreate(body, this.deps.create.config.defaults.retry.maxDelayMs);
  }

  private wait(asked: boolean): number | null {
    return asked ? this.deps.waitResultCapMs : null;
  }
}
