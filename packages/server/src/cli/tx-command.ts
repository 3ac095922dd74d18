/** `accord tx …`: list, show and act on transactions of a running coordinator. */
import type { QueryResult, Transaction, TransactionPage } from '@accord/core';
import { loadCliTarget } from '../config/config.js';
import { callApi, type ApiTarget } from './coordinator-api.js';
import { FILTER_OPTIONS, filterFromFlags, filterQuery, parseCountFlag } from './list-flags.js';
import { parseFlags, required } from './parse-flags.js';
import { renderAction, renderPage, renderTransaction } from './tx-view.js';
import { UsageError } from './usage-error.js';

/** Largest page `GET /v1/transactions` serves. */
const MAX_PAGE = 500;

const JSON_FLAG = { json: { type: 'boolean' } } as const;
const REASON = { reason: { type: 'string' } } as const;

function print(json: boolean, value: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

function txPath(gid: string, action = ''): string {
  return `/v1/transactions/${encodeURIComponent(gid)}${action ? `/${action}` : ''}`;
}

async function list(target: ApiTarget, args: string[]): Promise<void> {
  const { values } = parseFlags('accord tx list', args, {
    ...FILTER_OPTIONS,
    ...JSON_FLAG,
    limit: { type: 'string' },
    cursor: { type: 'string' },
  });
  const query = filterQuery(filterFromFlags(values, Date.now()));
  if (values.limit !== undefined) {
    query.set('limit', String(parseCountFlag(values.limit, '--limit', MAX_PAGE)));
  }
  if (values.cursor !== undefined) query.set('cursor', values.cursor);
  const search = query.toString();
  const page = await callApi<TransactionPage>(
    target,
    'GET',
    `/v1/transactions${search ? `?${search}` : ''}`,
  );
  print(values.json === true, page, () => renderPage(page));
}

async function show(target: ApiTarget, args: string[]): Promise<void> {
  const { values, positionals } = parseFlags('accord tx show', args, JSON_FLAG, {
    names: ['gid'],
  });
  const result = await callApi<QueryResult>(target, 'GET', txPath(positionals[0] ?? ''));
  print(values.json === true, result, () => renderTransaction(result));
}

/** The body each action sends, from its flags; refusals name the flag. */
const ACTIONS = {
  retry: { options: REASON, body: (v: Flags) => (v.reason ? { reason: v.reason } : {}) },
  abort: { options: REASON, body: (v: Flags) => (v.reason ? { reason: v.reason } : {}) },
  pause: {
    options: REASON,
    body: (v: Flags) => ({ reason: required(v.reason, '--reason', 'say why it is paused') }),
  },
  resume: {
    options: REASON,
    body: (v: Flags) => ({ reason: required(v.reason, '--reason', 'say why it is resumed') }),
  },
  resolve: {
    options: { ...REASON, status: { type: 'string' } },
    body: (v: Flags) => {
      const status = required(v.status, '--status', 'succeeded or failed');
      if (status !== 'succeeded' && status !== 'failed') {
        throw new UsageError(`--status "${status}": resolve takes succeeded or failed`);
      }
      return { status, reason: required(v.reason, '--reason', 'say why it is decided by hand') };
    },
  },
} as const;

type Flags = { reason?: string | undefined; status?: string | undefined };

async function act(target: ApiTarget, action: keyof typeof ACTIONS, args: string[]): Promise<void> {
  const spec = ACTIONS[action];
  const { values, positionals } = parseFlags(
    `accord tx ${action}`,
    args,
    { ...spec.options, ...JSON_FLAG },
    { names: ['gid'] },
  );
  const body = spec.body(values as Flags);
  const reply = await callApi<{ transaction: Transaction }>(
    target,
    'POST',
    txPath(positionals[0] ?? '', action),
    body,
  );
  print(values.json === true, reply, () => renderAction(action, reply.transaction));
}

/** Runs one `accord tx` sub-command. */
export async function runTxCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const target = loadCliTarget();
  switch (sub) {
    case 'list':
      return list(target, rest);
    case 'show':
      return show(target, rest);
    case 'retry':
    case 'resolve':
    case 'pause':
    case 'resume':
    case 'abort':
      return act(target, sub, rest);
    default:
      throw new UsageError(
        `accord tx: expected list, show, retry, resolve, pause, resume or abort${sub ? `, not "${sub}"` : ''}`,
      );
  }
}
