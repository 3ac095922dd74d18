/**
 * One connection to a broker, opened on first use and shared by every publish: callers
 * that arrive while it is being opened wait for the same attempt, a link that died is
 * replaced by the next caller, and a failed attempt is simply tried again next time.
 */

/** A connection (plus whatever a publisher keeps with it) that knows when it is gone. */
export interface Link {
  dead: boolean;
}

/** The shared, lazily (re)opened link of one publisher. */
export class SharedLink<L extends Link> {
  private current: L | null = null;
  private opening: Promise<L> | null = null;
  private isClosed = false;

  /** `open` makes a new link; it should check {@link SharedLink.closed} before returning. */
  constructor(private readonly open: () => Promise<L>) {}

  /** Whether {@link SharedLink.close} was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** The live link, opening one when there is none (concurrent callers share the attempt). */
  get(): Promise<L> {
    if (this.isClosed) return Promise.reject(new Error('the publisher is closed'));
    if (this.current !== null && !this.current.dead) return Promise.resolve(this.current);
    if (this.opening === null) {
      const opening = this.open();
      this.opening = opening;
      // Runs whether or not a publish still waits for it, so a late failure is never unhandled.
      opening.then(
        (link) => {
          if (this.opening === opening) this.opening = null;
          if (!link.dead) this.current = link;
        },
        () => {
          if (this.opening === opening) this.opening = null;
        },
      );
    }
    return this.opening;
  }

  /** Drops `link` if it is the current one (it died), so the next caller opens another. */
  forget(link: L): void {
    if (this.current === link) this.current = null;
  }

  /**
   * Refuses further use and shuts the current link down with `shutdown`. A link still
   * being opened is closed by `open` itself once it sees {@link SharedLink.closed}.
   */
  async close(shutdown: (link: L) => Promise<unknown>): Promise<void> {
    this.isClosed = true;
    const link = this.current;
    this.current = null;
    if (link !== null && !link.dead) {
      link.dead = true;
      await shutdown(link).catch(() => undefined);
    }
  }
}
