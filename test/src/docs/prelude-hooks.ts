/**
 * What a prelude asks the snippet host to do after the block ran: checks that the block
 * did what the docs say, then clean-up. Kept out of the preludes' exports so that only
 * the context a block uses is brought into its scope.
 */

type Hook = () => Promise<void> | void;

const checks: Hook[] = [];
const cleanups: Hook[] = [];

/** Registers a check run after the block; a throw fails the block. */
export function afterBlock(check: Hook): void {
  checks.push(check);
}

/** Registers a clean-up run on every path (in reverse order of registration). */
export function onCleanup(cleanup: Hook): void {
  cleanups.push(cleanup);
}

/** Runs the checks in order. */
export async function runChecks(): Promise<void> {
  for (const check of checks) await check();
}

/** Runs every clean-up, newest first, ignoring their errors. */
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch {
      // Clean-up is best effort: the process exits right after.
    }
  }
}
