/**
 * Undoing a partly built fixture: every step runs even when an earlier one fails, and the
 * first failure is rethrown once all have run. Used both by `close()` and by the failure
 * path of a fixture's start, so a start that fails half-way leaves nothing behind.
 */

/** One thing to undo; `undefined` for a part that was never made. */
export type TeardownStep = (() => unknown) | undefined;

/** Runs every step in order; throws the first error after all have run. */
export async function teardown(steps: readonly TeardownStep[]): Promise<void> {
  let first: unknown;
  let failed = false;
  for (const step of steps) {
    if (!step) continue;
    try {
      await step();
    } catch (error) {
      if (!failed) first = error;
      failed = true;
    }
  }
  if (failed) throw first;
}
