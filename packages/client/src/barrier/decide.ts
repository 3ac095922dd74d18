/**
 * The barrier's decision rules, free of I/O. Every dialect does the same two inserts and
 * asks these functions what they mean.
 */
import type { BarrierSkipReason } from './types.js';

const ORIGINS: ReadonlyMap<string, string> = new Map([
  ['cancel', 'try'],
  ['compensate', 'action'],
]);

/**
 * The forward op a compensating op undoes: `cancel` → `try`, `compensate` → `action`;
 * undefined for every other op.
 *
 * @example
 * originOf('cancel'); // 'try'
 */
export function originOf(op: string): string | undefined {
  return ORIGINS.get(op);
}

/**
 * What the two inserts mean. `originInserted` is undefined when the op has no origin.
 * `'inspect'`: the op's own row was already there; read its reason and call
 * {@link classifyExisting}.
 *
 * @example
 * afterInserts(true, true); // 'empty-compensation': the cancel got there before any try
 */
export function afterInserts(
  originInserted: boolean | undefined,
  ownInserted: boolean,
): 'apply' | 'empty-compensation' | 'inspect' {
  if (originInserted === true) return 'empty-compensation';
  return ownInserted ? 'apply' : 'inspect';
}

/**
 * The op's row already existed: written by this op before (duplicate), or by its
 * compensation as the origin marker (the op is hanging). An unreadable row (possible only
 * under a snapshot older than the row) counts as a duplicate: either way, skip.
 *
 * @example
 * classifyExisting('try', 'cancel'); // 'hanging'
 */
export function classifyExisting(op: string, reason: string | undefined): BarrierSkipReason {
  return reason === undefined || reason === op ? 'duplicate' : 'hanging';
}

/** `01`, `02`, … */
export function barrierIdOf(index: number): string {
  return String(index).padStart(2, '0');
}
