/**
 * The dashboard's list page at scale: `rows` transactions are written straight into a
 * SQLite store (through the Store port, in batches, as the coordinator would have left
 * them: mostly finished, some failed, parked or waiting, spread over 30 days, some with
 * labels), then a coordinator process starts on that store and the requests the list
 * page makes are timed: the first page, a status filter, a label filter, a gid prefix,
 * the next page by cursor, and the overview the dashboard polls (`/v1/stats`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSnapshot,
  DEFAULT_RETRY_POLICY,
  type NewTransaction,
  type TransactionInsert,
} from '@accord/core';
import { openStore } from '@accord/server';
import { startCoordinator } from './coordinator-process.js';

const BATCH = 2_000;
const DAY_MS = 86_400_000;
/** Times each request is made; the first answer is a warm-up and not counted. */
const REPEATS = 21;

/** One timed request of the list page. */
export interface ListPageTiming {
  readonly what: string;
  readonly path: string;
  /** Items in the answer (or -1 for the overview). */
  readonly items: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

/** The list-page measurement as reported. */
export interface ListPageResult {
  readonly rows: number;
  readonly store: 'sqlite';
  /** Seconds spent writing the rows through the Store port. */
  readonly seedSeconds: number;
  readonly timings: readonly ListPageTiming[];
}

/** The i-th seeded transaction: its shape depends only on i, so runs are comparable. */
function seeded(i: number, now: number): TransactionInsert {
  const spec: NewTransaction = {
    gid: `order-${String(i).padStart(7, '0')}`,
    mode: i % 10 === 9 ? 'tcc' : 'saga',
    options: {
      requestTimeoutMs: 3_000,
      retry: DEFAULT_RETRY_POLICY,
      timeoutMs: null,
      concurrent: false,
      headers: {},
    },
    checkUrl: null,
    steps: [
      { id: '01', action: { url: 'http://stock.internal/hold', payload: `{"order":${i}}` } },
      { id: '02', action: { url: 'http://wallet.internal/debit', payload: `{"order":${i}}` } },
    ],
    fingerprint: `f${i}`,
    labels: i % 7 === 0 ? { team: i % 14 === 0 ? 'payments' : 'stock' } : undefined,
  };
  const createdAt = now - Math.floor((((i * 7919) % 1000) / 1000) * 30 * DAY_MS);
  const snapshot = createSnapshot(spec, createdAt);
  const { tx } = snapshot;
  const kind = i % 100;
  if (kind < 90) {
    tx.status = 'succeeded';
    tx.finishedAt = createdAt + 40;
    tx.nextAttemptAt = null;
    for (const op of snapshot.ops) op.status = 'succeeded';
  } else if (kind < 96) {
    tx.status = 'failed';
    tx.reason = 'stock refused: out of stock';
    tx.finishedAt = createdAt + 60;
    tx.nextAttemptAt = null;
  } else if (kind < 98) {
    tx.status = 'aborting';
    tx.parked = true;
    tx.reason = 'compensate of 01 exhausted its budget';
    tx.nextAttemptAt = null;
  } else {
    tx.nextAttemptAt = now + 3_600_000;
  }
  tx.updatedAt = tx.finishedAt ?? createdAt;
  return snapshot;
}

async function seed(file: string, dataDir: string, rows: number): Promise<number> {
  const started = performance.now();
  const store = await openStore(`sqlite:${file}`, { dataDir });
  try {
    await store.migrate();
    const now = Date.now();
    for (let from = 0; from < rows; from += BATCH) {
      const inserts: TransactionInsert[] = [];
      for (let i = from; i < Math.min(rows, from + BATCH); i++) inserts.push(seeded(i, now));
      await store.commit({ inserts, writes: [] });
    }
  } finally {
    await store.close();
  }
  return (performance.now() - started) / 1000;
}

async function timed(url: string, what: string, path: string): Promise<ListPageTiming> {
  const samples: number[] = [];
  let items = -1;
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { items?: unknown[] };
    const ms = performance.now() - started;
    if (response.status !== 200) {
      throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
    }
    items = Array.isArray(body.items) ? body.items.length : -1;
    if (i > 0) samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  return {
    what,
    path,
    items,
    medianMs: samples[Math.floor(samples.length / 2)]!,
    maxMs: samples[samples.length - 1]!,
  };
}

/**
 * Seeds `rows` transactions, starts a coordinator on them and times the list page's
 * requests.
 *
 * @example
 * const result = await measureListPage(100_000);
 */
export async function measureListPage(rows: number): Promise<ListPageResult> {
  const dir = mkdtempSync(join(tmpdir(), 'accord-list-page-'));
  try {
    const file = join(dir, 'list.db');
    const seedSeconds = await seed(file, dir, rows);
    const coordinator = await startCoordinator({ store: `sqlite:${file}` });
    try {
      const first = await fetch(`${coordinator.url}/v1/transactions?limit=50`);
      const { nextCursor } = (await first.json()) as { nextCursor: string | null };
      const requests: [string, string][] = [
        ['first page', '/v1/transactions?limit=50'],
        ['status filter', '/v1/transactions?status=failed&limit=50'],
        ['parked', '/v1/transactions?parked=true&limit=50'],
        ['label filter', '/v1/transactions?label=team%3Dpayments&limit=50'],
        ['gid prefix', '/v1/transactions?gidPrefix=order-00123&limit=50'],
        ['last day', `/v1/transactions?since=${Date.now() - DAY_MS}&limit=50`],
        ['overview', '/v1/stats'],
      ];
      if (nextCursor !== null) {
        requests.splice(1, 0, [
          'next page',
          `/v1/transactions?limit=50&cursor=${encodeURIComponent(nextCursor)}`,
        ]);
      }
      const timings: ListPageTiming[] = [];
      for (const [what, path] of requests) timings.push(await timed(coordinator.url, what, path));
      return { rows, store: 'sqlite', seedSeconds, timings };
    } finally {
      await coordinator.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines for the summary. */
export function formatListPage(result: ListPageResult): string {
  const lines = result.timings.map(
    (t) =>
      `  ${t.what.padEnd(14)} ${t.medianMs.toFixed(1).padStart(8)} ms median, ${t.maxMs.toFixed(1).padStart(8)} ms max` +
      (t.items >= 0 ? ` (${t.items} items)` : ''),
  );
  const slowest = Math.max(...result.timings.map((t) => t.maxMs));
  return [
    `list page with ${result.rows} transactions on ${result.store} (seeded in ${result.seedSeconds.toFixed(1)} s; goal: every answer within 1000 ms; slowest ${slowest.toFixed(0)} ms):`,
    ...lines,
  ].join('\n');
}
