/** Human-readable renderings of transactions for `accord tx`. */
import type { Attempt, QueryResult, Transaction, TransactionPage } from '@accord/core';
import { formatFields, formatTable } from './table.js';

function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function flagsText(tx: Transaction): string {
  return [tx.parked ? 'parked' : '', tx.paused ? 'paused' : ''].filter(Boolean).join(',');
}

/** A page of transactions as a table, with how to get the next page. */
export function renderPage(page: TransactionPage): string {
  const table = formatTable<Transaction>(
    [
      { header: 'GID', cell: (t) => t.gid, maxWidth: 40 },
      { header: 'MODE', cell: (t) => t.mode },
      { header: 'STATUS', cell: (t) => t.status },
      { header: 'FLAGS', cell: flagsText },
      { header: 'CREATED', cell: (t) => t.createdAt },
      { header: 'LABELS', cell: (t) => labelsText(t.labels), maxWidth: 60 },
    ],
    page.items,
  );
  const count = `${page.items.length} transaction${page.items.length === 1 ? '' : 's'}`;
  const next = page.nextCursor ? `; next page: --cursor ${page.nextCursor}` : '';
  return `${table}\n${count}${next}`;
}

/** One transaction: its fields, branches and history. */
export function renderTransaction({ transaction: t, history }: QueryResult): string {
  const fields = formatFields([
    ['gid', t.gid],
    ['mode', t.mode],
    ['status', t.status],
    ['flags', flagsText(t) || '-'],
    ['reason', t.reason ?? undefined],
    ['labels', labelsText(t.labels) || '-'],
    ['created', t.createdAt],
    ['finished', t.finishedAt ?? undefined],
    ['next attempt', t.nextAttemptAt ?? undefined],
  ]);
  const branches = formatTable(
    [
      { header: 'BRANCH', cell: (b) => b.branchId },
      { header: 'OP', cell: (b) => b.op },
      { header: 'STATUS', cell: (b) => b.status },
      { header: 'ATTEMPTS', cell: (b) => String(b.attempts) },
      { header: 'URL', cell: (b) => b.url },
      { header: 'LAST ERROR', cell: (b) => b.lastError?.message ?? '' },
    ],
    t.branches ?? [],
  );
  const trail = formatTable<Attempt>(
    [
      { header: 'AT', cell: (a) => a.finishedAt },
      { header: 'BRANCH', cell: (a) => a.branchId },
      { header: 'OP', cell: (a) => a.op },
      { header: 'OUTCOME', cell: (a) => a.outcome },
      { header: 'HTTP', cell: (a) => (a.httpStatus === null ? '' : String(a.httpStatus)) },
      { header: 'ACTOR', cell: (a) => a.actor ?? '' },
      { header: 'MESSAGE', cell: (a) => a.message ?? '', maxWidth: 60 },
    ],
    history,
  );
  return `${fields}\n\nBranches\n${branches}\n\nHistory\n${trail}`;
}

/** One line saying what an operator action left behind. */
export function renderAction(action: string, t: Transaction): string {
  const flags = flagsText(t);
  return `${action}: ${t.gid} is ${t.status}${flags ? ` (${flags})` : ''}`;
}
