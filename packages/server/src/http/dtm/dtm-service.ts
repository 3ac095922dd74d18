/**
 * DTM's coordinator actions, apart from any transport: the HTTP routes under
 * `/api/dtmsvr` and the JSON-RPC endpoint both call these, so they share one path to the
 * engine. Each answers DTM's result or throws (a {@link ValidationError}, or an
 * {@link AccordError} that dtm-reply.ts maps to FAILURE / ONGOING).
 */
import type { FieldIssue, TransactionSnapshot } from '@accord/core';
import { AccordError, newOp, registeredOps, rulesOf, ValidationError } from '@accord/core';
import type { Engine } from '../../engine/engine.js';
import type { PendingHost } from '../../outbound/target-policy.js';
import type { TopicRegistry } from '../../topics/topic-registry.js';
import type { CreateContext } from '../create-request.js';
import { checkUrlField } from '../create-request.js';
import { toDtmCreate, type DtmCreate, type DtmTransBody } from './dtm-body.js';
import { dtmNewTransaction } from './dtm-create.js';
import { DTM_SUCCESS, dtmFailure, waitedReply } from './dtm-reply.js';
import { expandTopics } from './dtm-topics.js';

/** What the DTM actions need. */
export interface DtmServiceDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly waitResultCapMs: number;
  /** Topics of msg steps (`topic://<name>`); without it a topic step is refused. */
  readonly topics?: TopicRegistry | undefined;
}

/** The stored transaction, or undefined when there is none. */
export async function findDtm(
  engine: Engine,
  gid: string,
): Promise<TransactionSnapshot | undefined> {
  try {
    return (await engine.get(gid)).snapshot;
  } catch (error) {
    if (error instanceof AccordError && error.code === 'TRANSACTION_NOT_FOUND') return undefined;
    throw error;
  }
}

/** The body's `gid`, required. */
export function gidOf(body: unknown): string {
  const gid = (body as { gid?: unknown } | null)?.gid;
  if (typeof gid !== 'string' || gid === '') {
    throw new ValidationError([{ path: '/gid', message: 'is required' }]);
  }
  return gid;
}

/** DTM's actions over one engine. */
export class DtmService {
  constructor(private readonly deps: DtmServiceDeps) {}

  /**
   * Topic steps expanded, when a transaction is created (never for a repeated prepare or
   * the submit of a prepared message: those keep the steps they were created with).
   */
  private expand(dtm: DtmCreate): Promise<DtmCreate> {
    return this.deps.topics ? expandTopics(dtm, this.deps.topics) : Promise.resolve(dtm);
  }

  /** A new gid. */
  newGid(): string {
    return this.deps.create.newGid();
  }

  /** `prepare`: stores a tcc/xa/msg `prepared`; repeating it while prepared is a success. */
  async prepare(body: DtmTransBody): Promise<typeof DTM_SUCCESS> {
    const { engine, create } = this.deps;
    const dtm = toDtmCreate(body, create.config.defaults.retry.maxDelayMs);
    if (!rulesOf(dtm.body.mode).startsPrepared) {
      throw dtmFailure(`a ${dtm.body.mode} is not prepared: submit it`);
    }
    const existing = await findDtm(engine, dtm.body.gid!);
    if (existing) {
      if (existing.tx.status !== 'prepared') {
        throw dtmFailure(`current status '${existing.tx.status}', cannot prepare`);
      }
      return DTM_SUCCESS;
    }
    await engine.create(await dtmNewTransaction(await this.expand(dtm), create), null);
    return DTM_SUCCESS;
  }

  /** `submit`: creates and runs (saga, msg at once) or submits a prepared transaction. */
  async submit(body: DtmTransBody): Promise<typeof DTM_SUCCESS> {
    const { engine, create } = this.deps;
    const dtm = toDtmCreate(body, create.config.defaults.retry.maxDelayMs);
    const gid = dtm.body.gid!;
    const waitMs = this.wait(dtm.waitResult);
    const existing = await findDtm(engine, gid);
    let snapshot: TransactionSnapshot;
    if (existing === undefined) {
      const spec = await dtmNewTransaction(await this.expand(dtm), create, {
        submittedAtOnce: true,
      });
      const prepared = rulesOf(spec.mode).startsPrepared;
      snapshot = (await engine.create(spec, prepared ? null : waitMs)).snapshot;
      if (prepared) snapshot = await engine.submit(gid, waitMs);
    } else if (existing.tx.status === 'prepared') {
      snapshot = await engine.submit(gid, waitMs);
    } else if (existing.tx.status === 'submitted') {
      snapshot = existing;
    } else {
      throw dtmFailure(`current status '${existing.tx.status}', cannot submit`);
    }
    return dtm.waitResult ? waitedReply(snapshot, 'succeeded') : DTM_SUCCESS;
  }

  /**
   * `abort` with `rollback_reason`. With `wait_result` it answers once the abort is done
   * (success), or ONGOING when the wait cap passes first.
   */
  async abort(body: DtmTransBody): Promise<typeof DTM_SUCCESS> {
    const gid = gidOf(body);
    const reason =
      typeof body.rollback_reason === 'string' && body.rollback_reason !== ''
        ? body.rollback_reason
        : 'aborted by client';
    const waitResult = body.wait_result === true;
    const snapshot = await this.deps.engine.abort(gid, reason, this.wait(waitResult));
    return waitResult ? waitedReply(snapshot, 'failed') : DTM_SUCCESS;
  }

  /**
   * `registerBranch` (an object of strings): tcc names a URL per op (`confirm`,
   * `cancel`), xa one `url` for both phase-two ops; `data` is the body of each call.
   */
  async register(body: unknown): Promise<typeof DTM_SUCCESS> {
    const { engine, create } = this.deps;
    if (
      typeof body !== 'object' ||
      body === null ||
      Array.isArray(body) ||
      !Object.values(body).every((v) => typeof v === 'string')
    ) {
      throw new ValidationError([{ path: '', message: 'must be an object of strings' }]);
    }
    const fields = body as Record<string, string>;
    const gid = gidOf(fields);
    const branchId = fields['branch_id'];
    if (!branchId) throw new ValidationError([{ path: '/branch_id', message: 'is required' }]);
    const existing = await findDtm(engine, gid);
    if (!existing) throw dtmFailure(`no transaction "${gid}": prepare it first`);
    const ops = registeredOps(existing.tx.mode);
    if (ops === null) throw dtmFailure(`a ${existing.tx.mode} does not register branches`);
    const issues: FieldIssue[] = [];
    const pending: PendingHost[] = [];
    const urls = ops.map((op) => {
      const url = fields[op] ?? fields['url'];
      const path = fields[op] === undefined ? '/url' : `/${op}`;
      if (url === undefined) issues.push({ path: `/${op}`, message: 'is required' });
      else checkUrlField(create.policy, url, path, issues, pending);
      return url ?? '';
    });
    if (issues.length === 0) issues.push(...(await create.policy.checkPending(pending)));
    if (issues.length > 0) throw new ValidationError(issues);
    const payload = fields['data'] ?? '';
    await engine.register(
      gid,
      ops.map((op, i) => newOp(branchId, op, { url: urls[i]!, payload }, 0, 0)),
    );
    return DTM_SUCCESS;
  }

  private wait(asked: boolean): number | null {
    return asked ? this.deps.waitResultCapMs : null;
  }
}
