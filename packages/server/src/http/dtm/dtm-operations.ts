/**
 * DTM's state-changing operations over the engine, independent of the transport: the
 * HTTP routes and JSON-RPC (through dtm-service.ts) and the gRPC service (grpc/) all call
 * these, so a DTM transaction is prepared, submitted, aborted and registered the same way
 * whichever way it came.
 */
import type { FieldIssue, TransactionSnapshot } from '@accord/core';
import { AccordError, newOp, registeredOps, rulesOf, ValidationError } from '@accord/core';
import type { Engine } from '../../engine/engine.js';
import type { TopicRegistry } from '../../topics/topic-registry.js';
import type { PendingHost } from '../../outbound/target-policy.js';
import type { CreateContext } from '../create-request.js';
import { checkUrlField } from '../create-request.js';
import type { DtmCreate } from './dtm-body.js';
import { dtmNewTransaction } from './dtm-create.js';
import { dtmFailure } from './dtm-reply.js';
import { expandTopics } from './dtm-topics.js';
import { withRequestTrace } from '../../outbound/call-trace.js';

/** What the operations need. */
export interface DtmOperationsDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  /** Topics of msg steps (`topic://<name>`); without it a topic step is refused. */
  readonly topics?: TopicRegistry | undefined;
}

/**
 * Topic steps expanded, when a transaction is created (never for a repeated prepare or
 * the submit of a prepared message: those keep the steps they were created with).
 */
function expanded(deps: DtmOperationsDeps, dtm: DtmCreate): Promise<DtmCreate> {
  return deps.topics ? expandTopics(dtm, deps.topics) : Promise.resolve(dtm);
}

/** The stored transaction, or undefined when there is none. */
export async function findTransaction(
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

/** Prepares a tcc, xa or msg; preparing one that is still prepared again is a no-op. */
export async function dtmPrepare(deps: DtmOperationsDeps, dtm: DtmCreate): Promise<void> {
  if (!rulesOf(dtm.body.mode).startsPrepared) {
    throw dtmFailure(`a ${dtm.body.mode} is not prepared: submit it`);
  }
  const existing = await findTransaction(deps.engine, dtm.body.gid!);
  if (existing) {
    if (existing.tx.status !== 'prepared') {
      throw dtmFailure(`current status '${existing.tx.status}', cannot prepare`);
    }
    return;
  }
  const spec = await dtmNewTransaction(await expanded(deps, dtm), deps.create);
  await deps.engine.create(withRequestTrace(spec, dtm.headers ?? {}), null);
}

/**
 * Submits: creates and starts a saga or msg sent whole, or submits a prepared one;
 * waits up to `waitMs` for the end (null: does not wait). Submitting a submitted one
 * again is a no-op.
 */
export async function dtmSubmit(
  deps: DtmOperationsDeps,
  dtm: DtmCreate,
  waitMs: number | null,
): Promise<TransactionSnapshot> {
  const { engine } = deps;
  const gid = dtm.body.gid!;
  const existing = await findTransaction(engine, gid);
  if (existing === undefined) {
    const spec = withRequestTrace(
      await dtmNewTransaction(await expanded(deps, dtm), deps.create, { submittedAtOnce: true }),
      dtm.headers ?? {},
    );
    const prepared = rulesOf(spec.mode).startsPrepared;
    const snapshot = (await engine.create(spec, prepared ? null : waitMs)).snapshot;
    return prepared ? engine.submit(gid, waitMs) : snapshot;
  }
  if (existing.tx.status === 'prepared') return engine.submit(gid, waitMs);
  if (existing.tx.status === 'submitted') return existing;
  throw dtmFailure(`current status '${existing.tx.status}', cannot submit`);
}

/**
 * Aborts with a reason (DTM's `rollback_reason`; a default when empty); waits up to
 * `waitMs` for the compensations to end (null: does not wait).
 */
export function dtmAbort(
  deps: DtmOperationsDeps,
  gid: string,
  reason: string | undefined,
  waitMs: number | null,
): Promise<TransactionSnapshot> {
  return deps.engine.abort(gid, reason || 'aborted by client', waitMs);
}

/** A branch to register: DTM's string fields (gid, branch_id, confirm/cancel or url). */
export interface DtmBranchFields {
  readonly gid: string;
  readonly fields: Readonly<Record<string, string | undefined>>;
  /** The branch's payload: text from HTTP (`data`), bytes from gRPC. */
  readonly payload: string | Uint8Array;
}

/**
 * Registers a tcc or xa branch: one op per phase-two op of the mode, each with its
 * target (tcc names one per op, `confirm` and `cancel`; xa one `url` for both).
 */
export async function dtmRegister(deps: DtmOperationsDeps, branch: DtmBranchFields) {
  const { gid, fields } = branch;
  const branchId = fields['branch_id'];
  if (!branchId) throw new ValidationError([{ path: '/branch_id', message: 'is required' }]);
  const existing = await findTransaction(deps.engine, gid);
  if (!existing) throw dtmFailure(`no transaction "${gid}": prepare it first`);
  const ops = registeredOps(existing.tx.mode);
  if (ops === null) throw dtmFailure(`a ${existing.tx.mode} does not register branches`);
  const issues: FieldIssue[] = [];
  const pending: PendingHost[] = [];
  const urls = ops.map((op) => {
    const url = fields[op] ?? fields['url'];
    const path = fields[op] === undefined ? '/url' : `/${op}`;
    if (url === undefined) issues.push({ path: `/${op}`, message: 'is required' });
    else checkUrlField(deps.create.policy, url, path, issues, pending);
    return url ?? '';
  });
  if (issues.length === 0) issues.push(...(await deps.create.policy.checkPending(pending)));
  if (issues.length > 0) throw new ValidationError(issues);
  const payload = payloadFor(existing.tx.options.payloadEncoding, branch.payload);
  await deps.engine.register(
    gid,
    ops.map((op, i) => newOp(branchId, op, { url: urls[i]!, payload }, 0, 0)),
  );
}

/** A payload as the transaction stores them: base64 for a binary one, else text. */
function payloadFor(encoding: 'base64' | undefined, payload: string | Uint8Array): string {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  if (encoding === 'base64') return bytes.toString('base64');
  return typeof payload === 'string' ? payload : bytes.toString('utf8');
}
