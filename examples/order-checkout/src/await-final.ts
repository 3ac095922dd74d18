/** Waiting until transactions have ended, for reports and checks. */
import type { AccordClient, Transaction } from '@accord/client';

/** Options of {@link awaitFinal}. */
export interface AwaitFinalOptions {
  /** Give up after this long, ms (default 30000). */
  readonly timeoutMs?: number;
  /** Pause between polls, ms (default 50). */
  readonly intervalMs?: number;
}

const isFinal = (tx: Transaction) => tx.status === 'succeeded' || tx.status === 'failed';

/**
 * Polls the coordinator until every gid is `succeeded` or `failed` (an aborted XA
 * checkout stays `aborting` until its prepared branches are rolled back). Throws, naming
 * the unfinished ones, when the time is up.
 *
 * @example
 * const txs = await awaitFinal(world.accord, outcomes.map((o) => o.gid));
 */
export async function awaitFinal(
  accord: Pick<AccordClient, 'query'>,
  gids: readonly string[],
  options: AwaitFinalOptions = {},
): Promise<Map<string, Transaction>> {
  const { timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  const done = new Map<string, Transaction>();
  for (;;) {
    const open = gids.filter((gid) => !done.has(gid));
    for (const { transaction } of await Promise.all(open.map((gid) => accord.query(gid)))) {
      if (isFinal(transaction)) done.set(transaction.gid, transaction);
    }
    if (done.size === new Set(gids).size) return done;
    if (Date.now() > deadline) {
      const left = gids.filter((gid) => !done.has(gid));
      throw new Error(`still running after ${timeoutMs} ms: ${left.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
