import type { FieldIssue } from '../errors.js';
import type {
  BranchOp,
  Mode,
  OpName,
  TransactionOptions,
  TransactionRecord,
  TransactionSnapshot,
} from '../protocol.js';
import { deliveryDueAt } from '../delivery-delay.js';
import { rulesOf } from './mode-rules.js';

/** Where and what to call for one op. */
export interface TargetSpec {
  readonly url: string;
  /** JSON text of the body; empty for none. */
  readonly payload: string;
}

/** One validated saga/msg step. */
export interface StepSpec {
  /** Unique within the transaction. */
  readonly id: string;
  readonly action: TargetSpec;
  /** saga only; omitted for steps with nothing to undo. */
  readonly compensate?: TargetSpec | undefined;
  /** Step ids whose action must succeed first. */
  readonly dependsOn?: readonly string[] | undefined;
  readonly maxAttempts?: number | undefined;
}

/** A validated create request with options already resolved. */
export interface NewTransaction {
  readonly gid: string;
  readonly mode: Mode;
  readonly options: TransactionOptions;
  readonly checkUrl: string | null;
  readonly steps: readonly StepSpec[];
  readonly fingerprint: string;
  /** Labels to store with it (checked by `checkLabels`); none when absent. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** A pending op as first stored. */
export function newOp(
  branchId: string,
  op: OpName,
  target: TargetSpec,
  seq: number,
  now: number,
  extra: { dependsOn?: readonly string[]; maxAttempts?: number | null } = {},
): BranchOp {
  return {
    branchId,
    op,
    url: target.url,
    payload: target.payload,
    seq,
    dependsOn: extra.dependsOn ?? [],
    maxAttempts: extra.maxAttempts ?? null,
    status: 'pending',
    attempts: 0,
    failures: 0,
    nextAttemptAt: now,
    lastError: null,
    updatedAt: now,
  };
}

/**
 * Checks the step graph: unique ids, known dependencies, no cycles. Returns the issues
 * with JSON paths under `/steps`.
 */
export function checkStepGraph(steps: readonly StepSpec[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const index = new Map<string, number>();
  steps.forEach((step, i) => {
    if (index.has(step.id)) {
      issues.push({ path: `/steps/${i}/id`, message: `duplicate step id "${step.id}"` });
    }
    index.set(step.id, i);
  });
  steps.forEach((step, i) => {
    (step.dependsOn ?? []).forEach((dep, j) => {
      if (!index.has(dep)) {
        issues.push({ path: `/steps/${i}/dependsOn/${j}`, message: `unknown step id "${dep}"` });
      } else if (dep === step.id) {
        issues.push({
          path: `/steps/${i}/dependsOn/${j}`,
          message: 'a step cannot depend on itself',
        });
      }
    });
  });
  if (issues.length > 0) return issues;
  // Kahn's algorithm: whatever cannot be ordered sits on a cycle.
  const remaining = new Map(steps.map((s) => [s.id, new Set(s.dependsOn ?? [])]));
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const [id, deps] of remaining) {
      if (deps.size === 0) {
        remaining.delete(id);
        for (const other of remaining.values()) other.delete(id);
        progressed = true;
      }
    }
  }
  // What is left sits on a cycle or depends on one; name only the former, whose own
  // dependsOn is where the mistake is.
  for (const id of remaining.keys()) {
    if (!reachesItself(id, remaining)) continue;
    issues.push({
      path: `/steps/${index.get(id) ?? 0}/dependsOn`,
      message: `step "${id}" is on a dependency cycle`,
    });
  }
  return issues;
}

/** Whether following dependencies from `id` leads back to it. */
function reachesItself(id: string, deps: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const seen = new Set<string>();
  const stack = [...(deps.get(id) ?? [])];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (next === id) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(deps.get(next) ?? []));
  }
  return false;
}

/**
 * Effective dependencies: explicit `dependsOn` when any step declares one (a DAG);
 * none when `concurrent`; otherwise each step waits for the one before it.
 */
export function effectiveDependencies(steps: readonly StepSpec[], concurrent: boolean): string[][] {
  const dag = steps.some((s) => s.dependsOn !== undefined && s.dependsOn.length > 0);
  return steps.map((step, i) => {
    if (dag) return [...(step.dependsOn ?? [])];
    if (concurrent || i === 0) return [];
    return [steps[i - 1]!.id];
  });
}

/**
 * The first stored snapshot of a transaction. A saga or notification starts `submitted`
 * (it runs at once, or, a delayed notification, when it falls due); tcc, xa and msg start `prepared`. When `lease` is given the record is created
 * already claimed by that owner, so the creator drives it without another write.
 */
export function createSnapshot(
  spec: NewTransaction,
  now: number,
  lease?: { owner: string; until: number },
): TransactionSnapshot {
  const deps = effectiveDependencies(spec.steps, spec.options.concurrent);
  const ops: BranchOp[] = [];
  spec.steps.forEach((step, i) => {
    ops.push(
      newOp(step.id, 'action', step.action, i, now, {
        dependsOn: deps[i] ?? [],
        maxAttempts: step.maxAttempts ?? null,
      }),
    );
    if (rulesOf(spec.mode).stepsCompensate && step.compensate) {
      ops.push(newOp(step.id, 'compensate', step.compensate, i, now));
    }
  });
  const timeout = spec.options.timeoutMs;
  const rules = rulesOf(spec.mode);
  const prepared = rules.startsPrepared;
  // Created submitted (a notification): a delayed delivery is due from now.
  const due = !prepared && rules.delaysDelivery ? deliveryDueAt(spec.options, now) : null;
  const startAt = due ?? now;
  if (startAt !== now) {
    for (const op of ops) if (op.op === rules.forward) op.nextAttemptAt = startAt;
  }
  const tx: TransactionRecord = {
    gid: spec.gid,
    mode: spec.mode,
    status: prepared ? 'prepared' : 'submitted',
    options: spec.options,
    checkUrl: spec.checkUrl,
    fingerprint: spec.fingerprint,
    reason: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    deadlineAt: timeout === null ? null : now + timeout,
    nextAttemptAt: !prepared ? startAt : timeout === null ? null : now + timeout,
    parked: false,
    paused: false,
    labels: { ...spec.labels },
    leaseOwner: lease?.owner ?? null,
    leaseUntil: lease?.until ?? 0,
    fence: lease ? 1 : 0,
  };
  return { tx, ops };
}
