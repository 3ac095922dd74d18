/**
 * Group commit: inserts and writes requested while a store commit is in flight are
 * collected and applied together in the next one, so under load many transactions share
 * one durable store commit.
 */
import type {
  BranchOp,
  InsertResult,
  Store,
  TransactionInsert,
  TransactionRecord,
  TransactionWrite,
} from '@accord/core';

type Pending =
  | {
      readonly kind: 'insert';
      readonly item: TransactionInsert;
      readonly resolve: (result: InsertResult) => void;
      readonly reject: (error: unknown) => void;
    }
  | {
      readonly kind: 'write';
      readonly write: TransactionWrite;
      readonly resolve: (applied: boolean) => void;
      readonly reject: (error: unknown) => void;
    };

/** Queues inserts and writes and commits them in batches, one batch in flight at a time. */
export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 512,
    private readonly onFlush: (batchSize: number, seconds: number) => void = () => undefined,
  ) {}

  /** Resolves once the new transaction is durable (or found to exist already). */
  insert(tx: TransactionRecord, ops: readonly BranchOp[]): Promise<InsertResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'insert', item: { tx, ops }, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once the write is durable: true if applied, false if its fence was stale. */
  write(write: TransactionWrite): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'write', write, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.maxBatch);
    const inserts = batch.filter((p) => p.kind === 'insert');
    const writes = batch.filter((p) => p.kind === 'write');
    const started = performance.now();
    try {
      const result = await this.store.commit({
        inserts: inserts.map((p) => p.item),
        writes: writes.map((p) => p.write),
      });
      inserts.forEach((p, i) => {
        const outcome = result.inserted[i];
        if (outcome) p.resolve(outcome);
        else p.reject(new Error('the store returned no result for an insert'));
      });
      writes.forEach((p, i) => p.resolve(result.written[i] ?? false));
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.onFlush(batch.length, (performance.now() - started) / 1000);
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
