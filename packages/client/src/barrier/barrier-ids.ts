/**
 * Default barrier ids: per context object, `01` for its first completed run, `02` for the
 * next, so one handler can guard several steps. A fresh context (every new request) starts
 * at `01` again, which keeps redeliveries aligned.
 */
import { barrierIdOf } from './decide.js';
import type { BarrierContext, BarrierRunOptions } from './types.js';

const runs = new WeakMap<BarrierContext, number>();

/**
 * The barrier id a run should use.
 *
 * @example
 * const id = barrierIdFor(ctx, options); // '01'
 */
export function barrierIdFor(ctx: BarrierContext, options: BarrierRunOptions | undefined): string {
  return options?.barrierId ?? barrierIdOf((runs.get(ctx) ?? 0) + 1);
}

/** Records a completed run (not a thrown one: its rows were rolled back). */
export function countRun(ctx: BarrierContext, options: BarrierRunOptions | undefined): void {
  if (options?.barrierId === undefined) runs.set(ctx, (runs.get(ctx) ?? 0) + 1);
}
