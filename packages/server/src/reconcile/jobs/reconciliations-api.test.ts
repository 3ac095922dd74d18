/**
 * Reconciliation jobs through the API on a real coordinator: two SQLite files with
 * injected mismatches, a run started by `POST …/run`, the report read back page by page,
 * and every mismatch repaired once at a real HTTP participant; field errors named; the
 * scheduler starting a job whose cron schedule is due.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../../config/config.js';
import { startServer, type RunningServer } from '../../server.js';

const ROWS = 60;
const MISSING_RIGHT = [4, 30];
const DIFFERENT = [9, 60];
const MISSING_LEFT = [61, 99];
const EXPECTED = [
  ...MISSING_RIGHT.map((id) => `missing-right:${id}`),
  ...DIFFERENT.map((id) => `different:${id}`),
  ...MISSING_LEFT.map((id) => `missing-left:${id}`),
].sort();

/** A repair participant counting calls by job, kind and key. */
class RepairParticipant {
  readonly calls = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          job: string;
          kind: string;
          key: number[];
        };
        const name = `${body.kind}:${body.key[0]}`;
        this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
        response.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

interface Run {
  id: string;
  status: string;
  counts: Record<string, number>;
}

describe('reconciliation jobs through the API', () => {
  const dir = tempDir('accord-recon-api-');
  const participant = new RepairParticipant();
  let server: RunningServer;
  const leftUrl = `sqlite:${join(dir.path, 'orders.db')}`;
  const rightUrl = `sqlite:${join(dir.path, 'payments.db')}`;

  before(async () => {
    const left = new Database(join(dir.path, 'orders.db'));
    left.exec('create table orders (id integer primary key, amount real, status text)');
    const insertLeft = left.prepare('insert into orders values (?, ?, ?)');
    for (let id = 1; id <= ROWS; id += 1) insertLeft.run(id, id * 2.5, 'paid');
    left.close();
    const right = new Database(join(dir.path, 'payments.db'));
    right.exec('create table payments (order_id integer primary key, paid real, state text)');
    const insertRight = right.prepare('insert into payments values (?, ?, ?)');
    for (let id = 1; id <= ROWS; id += 1) {
      if (MISSING_RIGHT.includes(id)) continue;
      insertRight.run(id, id * 2.5 + (DIFFERENT.includes(id) ? 1 : 0), 'paid');
    }
    for (const id of MISSING_LEFT) insertRight.run(id, 1, 'paid');
    right.close();
    await participant.start();
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_POLL_INTERVAL_MS: '10',
          ACCORD_RECONCILE_CHECK_MS: '100',
          ACCORD_RECONCILE_FILES: dir.path,
        },
      ),
    );
  });

  after(async () => {
    await server.close();
    await participant.stop();
    dir.remove();
  });

  const definition = (id: string, extra: object = {}) => ({
    id,
    mode: 'full',
    left: { type: 'sql', url: leftUrl, query: 'select id, amount, status from orders order by id' },
    right: {
      type: 'sql',
      url: rightUrl,
      query:
        'select order_id as id, paid as amount, state as status from payments order by order_id',
    },
    rules: {
      key: [{ field: 'id', type: 'number' }],
      compare: [
        { field: 'amount', type: 'number', tolerance: 0.001 },
        { field: 'status', type: 'string' },
      ],
      reference: 'left',
    },
    repair: {
      'missing-left': `${participant.url}/repair/remove`,
      'missing-right': `${participant.url}/repair/add`,
      different: `${participant.url}/repair/fix`,
    },
    ...extra,
  });

  const api = async (method: string, url: string, payload?: object) => {
    const res = await server.app.inject({ method: method as 'GET', url, payload });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };

  it('runs a job defined through the API and reports and repairs each mismatch once', async () => {
    const created = await api('POST', '/v1/reconciliations', definition('orders'));
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal((await api('GET', '/v1/reconciliations/orders')).body['mode'], 'full');
    const listed = await api('GET', '/v1/reconciliations');
    assert.deepEqual(
      (listed.body['items'] as Array<{ id: string }>).map((j) => j.id),
      ['orders'],
    );

    const started = await api('POST', '/v1/reconciliations/orders/run');
    assert.equal(started.status, 202, JSON.stringify(started.body));
    let run: Run | undefined;
    await waitFor(
      async () => {
        const runs = await api('GET', '/v1/reconciliations/orders/runs');
        run = (runs.body['items'] as Run[])[0];
        return run !== undefined && run.status !== 'running';
      },
      { what: 'the run finished' },
    );
    assert.equal(run!.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(run!.counts, {
      compared: ROWS + MISSING_LEFT.length,
      same: ROWS - MISSING_RIGHT.length - DIFFERENT.length,
      missingLeft: MISSING_LEFT.length,
      missingRight: MISSING_RIGHT.length,
      different: DIFFERENT.length,
    });

    // The report, two mismatches a page.
    const found: Array<{ kind: string; key: number[]; left: unknown; right: unknown }> = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await api('GET', `/v1/reconciliations/orders/runs/${run!.id}?limit=2${query}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      found.push(...(page.body['mismatches'] as typeof found));
      cursor = page.body['nextCursor'] as string | null;
    } while (cursor !== null);
    assert.deepEqual(found.map((m) => `${m.kind}:${m.key[0]}`).sort(), EXPECTED);
    const nine = found.find((m) => m.key[0] === 9)!;
    assert.deepEqual(nine.left, { id: 9, amount: 22.5, status: 'paid' });
    assert.deepEqual(nine.right, { id: 9, amount: 23.5, status: 'paid' });

    await waitFor(
      () => participant.calls.size === EXPECTED.length && server.engine.inFlight === 0,
      {
        what: 'every repair called',
      },
    );
    assert.deepEqual([...participant.calls.keys()].sort(), EXPECTED);
    assert.ok(
      [...participant.calls.values()].every((n) => n === 1),
      JSON.stringify([...participant.calls]),
    );

    const unknownRun = await api('GET', '/v1/reconciliations/orders/runs/123');
    assert.equal(unknownRun.status, 404);
    assert.equal((unknownRun.body['error'] as { code: string }).code, 'RECONCILIATION_NOT_FOUND');
  });

  it('names each field at fault, and never echoes source credentials', async () => {
    const bad = await api(
      'POST',
      '/v1/reconciliations',
      definition('bad', {
        schedule: 'every tuesday',
        left: { type: 'sql', url: 'oracle://db/x' },
        right: { type: 'http', url: 'http://169.254.169.254/latest' },
        repair: { different: 'ftp://example.com/fix' },
      }),
    );
    assert.equal(bad.status, 400);
    const issues = (bad.body['error'] as { details: { issues: Array<{ path: string }> } }).details
      .issues;
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      '/left/query',
      '/left/url',
      '/repair/different',
      '/right/url',
      '/schedule',
    ]);

    const secret = await api(
      'POST',
      '/v1/reconciliations',
      definition('secret', {
        left: { type: 'sql', url: 'postgres://app:s3cret@127.0.0.1:1/x', query: 'select 1' },
        right: { type: 'http', url: 'http://127.0.0.1:1/rows', headers: { authorization: 'k3y' } },
      }),
    );
    assert.equal(secret.status, 200, JSON.stringify(secret.body));
    const shown = JSON.stringify((await api('GET', '/v1/reconciliations/secret')).body);
    assert.ok(!shown.includes('s3cret') && !shown.includes('k3y'), shown);
    assert.equal((await api('DELETE', '/v1/reconciliations/secret')).status, 200);
    assert.equal((await api('DELETE', '/v1/reconciliations/secret')).status, 404);
    assert.equal((await api('POST', '/v1/reconciliations/secret/run')).status, 404);
  });

  it('starts a job whose cron schedule is due', async () => {
    const { repair: _repair, ...rest } = definition('nightly', { schedule: '* * * * * *' });
    assert.equal((await api('POST', '/v1/reconciliations', { ...rest, repair: {} })).status, 200);
    await waitFor(
      async () => {
        const runs = await api('GET', '/v1/reconciliations/nightly/runs');
        return (runs.body['items'] as Run[]).some((r) => r.status === 'succeeded');
      },
      { what: 'a scheduled run succeeded' },
    );
    assert.equal((await api('DELETE', '/v1/reconciliations/nightly')).status, 200);
  });
});
