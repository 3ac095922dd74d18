/** `accord notify list|show`: best-effort notifications and their delivery attempts. */
import { parseArgs } from 'node:util';
import type {
  Attempt,
  NotificationQuery,
  Transaction,
  TransactionPage,
} from '@accord/core/schemas';
import { apiRequest, formatTable, timeText } from './command-support.js';

/** How the sub-commands are used. */
export const NOTIFY_USAGE = `  accord notify list [--status pending|succeeded|failed] [--since T] [--until T] [--limit N] [--cursor C] [--json]
  accord notify show <id> [--json]`;

/** A notification's status from its transaction's. */
function statusOf(tx: Transaction): string {
  return tx.status === 'succeeded' || tx.status === 'failed' ? tx.status : 'pending';
}

/** Runs one `accord notify` sub-command. */
export async function runNotifyCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      status: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    },
  });
  switch (sub) {
    case 'list': {
      const query = new URLSearchParams({ mode: 'notify' });
      // A pending notification is a submitted transaction; the server checks the rest.
      if (values.status)
        query.set('status', values.status === 'pending' ? 'submitted' : values.status);
      for (const key of ['since', 'until', 'limit', 'cursor'] as const) {
        const value = values[key];
        if (value !== undefined) query.set(key, value);
      }
      const page = (await apiRequest(
        'GET',
        `/v1/transactions?${query.toString()}`,
      )) as TransactionPage;
      console.log(values.json ? JSON.stringify(page, null, 2) : listText(page));
      return;
    }
    case 'show': {
      const id = positionals[0];
      if (!id) throw new Error('accord notify show needs an id');
      const path = `/v1/notifications/${encodeURIComponent(id)}`;
      const result = (await apiRequest('GET', path)) as NotificationQuery;
      console.log(values.json ? JSON.stringify(result, null, 2) : showText(result));
      return;
    }
    case undefined:
    case 'help':
      console.log(`usage:\n${NOTIFY_USAGE}`);
      return;
    default:
      throw new Error(`accord notify: expected list or show\n${NOTIFY_USAGE}`);
  }
}

function listText(page: TransactionPage): string {
  if (page.items.length === 0) return 'no notifications';
  const table = formatTable(
    ['ID', 'STATUS', 'CREATED', 'NEXT ATTEMPT', 'REASON'],
    page.items.map((tx) => [
      tx.gid,
      statusOf(tx),
      timeText(tx.createdAt),
      timeText(tx.nextAttemptAt),
      (tx.reason ?? '').slice(0, 60),
    ]),
  );
  return page.nextCursor ? `${table}\n\nmore: --cursor ${page.nextCursor}` : table;
}

function showText({ notification: n, history }: NotificationQuery): string {
  const fields: [string, string][] = [
    ['id', n.id],
    ['status', n.status],
    ['url', n.url],
    ['attempts', String(n.attempts)],
    ['schedule', n.schedule.map((ms) => `${ms / 1000}s`).join(', ') || '-'],
    ['ack body', n.ackBody ?? '-'],
    ['created', timeText(n.createdAt)],
    ['deliver at', timeText(n.deliverAt)],
    ['next attempt', timeText(n.nextAttemptAt)],
    ['finished', timeText(n.finishedAt)],
    ['reason', n.reason ?? '-'],
    ['last error', n.lastError ? `${n.lastError.httpStatus ?? '-'} ${n.lastError.message}` : '-'],
  ];
  const head = fields.map(([k, v]) => `${k.padEnd(12)} ${v}`).join('\n');
  if (history.length === 0) return `${head}\n\nno delivery attempts yet`;
  return `${head}\n\n${formatTable(
    ['#', 'STARTED', 'MS', 'OUTCOME', 'HTTP', 'MESSAGE'],
    history.map((a: Attempt) => [
      String(a.attempt),
      timeText(a.startedAt),
      String(Date.parse(a.finishedAt) - Date.parse(a.startedAt)),
      a.outcome,
      a.httpStatus === null ? '-' : String(a.httpStatus),
      (a.message ?? '').slice(0, 80),
    ]),
  )}`;
}
