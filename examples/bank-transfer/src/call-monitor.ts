/**
 * Watches coordinator calls for the one thing a correct coordinator never does: call the
 * same (gid, branch, op) again while an earlier call of it is still being handled. One
 * driver never re-dispatches an op in flight, so an overlap means two instances drove
 * the same transaction at once.
 */

/** Counts calls in flight per (gid, branch, op) and overlaps seen. */
export class CallMonitor {
  private readonly inFlight = new Map<string, number>();
  /** Keys that were called while already in flight, in the order seen. */
  readonly overlaps: string[] = [];

  /**
   * Wraps a handler so its whole run counts as "in flight" (entry to exit, whether or not
   * the caller is still connected).
   */
  async around<T>(
    ctx: { gid: string; branchId: string; op: string },
    work: () => Promise<T>,
  ): Promise<T> {
    const key = `${ctx.gid}/${ctx.branchId}/${ctx.op}`;
    const n = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, n);
    if (n > 1) this.overlaps.push(key);
    try {
      return await work();
    } finally {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    }
  }
}
