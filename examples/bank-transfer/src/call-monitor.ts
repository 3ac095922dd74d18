/**
 * Watches coordinator calls per (gid, branch, op), two ways:
 * - handler runs (`around`): the work of a call, which can outlive the request when the
 *   coordinator gave up on it (a timeout, an abort, a dead coordinator);
 * - open requests (`opened`): from arrival until answered or abandoned by the caller
 *   (its connection closed). A coordinator keeps each call inside its lease, so two open
 *   requests of one op overlap only if an instance stalled longer than its lease margin.
 */

/** One coordinator request as the participant saw it. */
export interface OpenRequest {
  readonly key: string;
  /** Arrival, ms since the epoch. */
  readonly from: number;
  /** Answered or abandoned; null while open. */
  to: number | null;
}

/** Counts calls in flight per (gid, branch, op) and overlaps seen. */
export class CallMonitor {
  private readonly inFlight = new Map<string, number>();
  /** Keys that were called while already in flight, in the order seen. */
  readonly overlaps: string[] = [];
  /** Every coordinator request, in arrival order. */
  readonly requests: OpenRequest[] = [];
  /** Keys whose request arrived while another request of the same op was open. */
  readonly openOverlaps: string[] = [];
  private readonly open = new Map<string, number>();

  /**
   * Records a request arriving; call the returned function once when it is answered or
   * its connection closes (extra calls are ignored).
   */
  opened(key: string): () => void {
    const request: OpenRequest = { key, from: Date.now(), to: null };
    this.requests.push(request);
    const n = (this.open.get(key) ?? 0) + 1;
    this.open.set(key, n);
    if (n > 1) this.openOverlaps.push(key);
    return () => {
      if (request.to !== null) return;
      request.to = Date.now();
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }

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
