/**
 * What a coordinator run leaves for operators: log lines that name a transaction carry
 * its gid, trace id and (about one step) branch and op; `/metrics` serves Prometheus
 * text by default and OpenMetrics with trace-id exemplars to a scraper that asks for it.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseTraceparent } from '@accord/protocol';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly gid?: string;
  readonly trace_id?: string;
  readonly branch?: string;
  readonly op?: string;
  readonly [field: string]: unknown;
}

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const OPENMETRICS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('transaction log fields and metrics of a real coordinator run', () => {
  const dir = tempDir('accord-observability-');
  const lines: LogLine[] = [];
  let server: RunningServer;
  // `/flaky` fails its first call, `/no` refuses (409), `/broken` always fails (500).
  let flakyCalls = 0;
  const participant = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/flaky') flakyCalls += 1;
      const status =
        req.url === '/no'
          ? 409
          : req.url === '/broken' || (req.url === '/flaky' && flakyCalls === 1)
            ? 500
            : 200;
      res.writeHead(status).end();
    });
  });
  let target = '';
  const gids = { retried: `log-retried-${Date.now()}`, failed: `log-failed-${Date.now()}` };
  const parkedGid = `log-parked-${Date.now()}`;

  before(async () => {
    await new Promise<void>((resolve) => participant.listen(0, '127.0.0.1', resolve));
    target = `http://127.0.0.1:${(participant.address() as AddressInfo).port}`;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as LogLine);
        done();
      },
    });
    const config = loadConfig(
      {},
      {
        ACCORD_DATA_DIR: dir.path,
        ACCORD_PORT: '0',
        ACCORD_POLL_INTERVAL_MS: '50',
        ACCORD_RETRY_FIRST_MS: '50',
        ACCORD_RETRY_MAX_MS: '200',
        ACCORD_MAX_ATTEMPTS: '2',
      },
    );
    server = await startServer(config, { logger: pino({ level: 'debug' }, sink) });
  });
  after(async () => {
    await server.close();
    participant.close();
    dir.remove();
  });

  const create = (gid: string, steps: unknown[], headers: Record<string, string> = {}) =>
    server.app.inject({
      method: 'POST',
      url: '/v1/transactions',
      headers,
      payload: { gid, mode: 'saga', steps },
    });

  /** The trace id of the transaction's stored trace context. */
  const storedTraceId = async (gid: string) => {
    const res = await server.app.inject({ url: `/v1/transactions/${gid}` });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ transaction: { options: { trace?: { traceparent: string } } } }>();
    const parsed = parseTraceparent(body.transaction.options.trace?.traceparent);
    assert.ok(parsed, `stored trace of ${gid}: ${res.body}`);
    return parsed.traceId;
  };

  const statusOf = async (gid: string) => {
    const res = await server.app.inject({ url: `/v1/transactions/${gid}` });
    return res.json<{ transaction: { status: string; parked?: boolean } }>().transaction;
  };

  it('gives every line naming a transaction its gid, trace_id, and branch and op where relevant', async () => {
    const retried = await create(gids.retried, [{ action: `${target}/flaky` }], {
      traceparent: `00-${CALLER_TRACE}-b7ad6b7169203331-01`,
    });
    assert.equal(retried.statusCode, 201, retried.body);
    const failed = await create(gids.failed, [
      { action: `${target}/no`, compensate: `${target}/ok` },
    ]);
    assert.equal(failed.statusCode, 201, failed.body);
    // Refused, then its compensation fails until it parks.
    const parked = await create(parkedGid, [
      { action: `${target}/ok`, compensate: `${target}/broken` },
      { action: `${target}/no`, compensate: `${target}/ok` },
    ]);
    assert.equal(parked.statusCode, 201, parked.body);

    await waitFor(
      async () =>
        (await statusOf(gids.retried)).status === 'succeeded' &&
        (await statusOf(gids.failed)).status === 'failed' &&
        lines.some((l) => l.gid === parkedGid && l['alert'] === 'parked'),
      { timeoutMs: 60_000, what: 'one saga retried to success, one failed, one parked' },
    );

    const traceOf = {
      [gids.retried]: await storedTraceId(gids.retried),
      [gids.failed]: await storedTraceId(gids.failed),
      [parkedGid]: await storedTraceId(parkedGid),
    };
    // The caller's trace continues; without one, the trace id comes from the gid.
    assert.equal(traceOf[gids.retried], CALLER_TRACE);

    const ours = lines.filter((l) => l.gid !== undefined && l.gid in traceOf);
    for (const line of ours) {
      assert.equal(line.trace_id, traceOf[line.gid!], `trace_id of ${JSON.stringify(line)}`);
      assert.equal(line['branchId'], undefined, `one name for the branch: ${JSON.stringify(line)}`);
    }
    // No line mentions one of these gids without carrying it as a field.
    for (const line of lines) {
      const text = JSON.stringify(line);
      for (const gid of Object.keys(traceOf)) {
        if (text.includes(gid)) assert.equal(line.gid, gid, `gid field of ${text}`);
      }
    }

    const retryLine = ours.find(
      (l) => l.gid === gids.retried && l.msg === 'branch call did not succeed',
    );
    assert.ok(retryLine, 'the failed first call is logged');
    assert.equal(retryLine.branch, '01');
    assert.equal(retryLine.op, 'action');
    assert.equal(retryLine['httpStatus'], 500);

    const failedLine = ours.find((l) => l.gid === gids.failed && l.msg === 'transaction failed');
    assert.ok(failedLine, 'the failed saga is logged');
    // About the whole transaction: no branch or op.
    assert.equal(failedLine.branch, undefined);
    assert.equal(failedLine.op, undefined);

    const parkedLine = ours.find((l) => l.gid === parkedGid && l['alert'] === 'parked');
    assert.ok(parkedLine);
    assert.equal(parkedLine.branch, '01');
    assert.equal(parkedLine.op, 'compensate');
    const compensateFailures = ours.filter(
      (l) => l.gid === parkedGid && l.msg === 'branch call did not succeed',
    );
    assert.ok(compensateFailures.length >= 2, JSON.stringify(compensateFailures));
    for (const line of compensateFailures) {
      assert.equal(line.branch, '01');
      assert.equal(line.op, 'compensate');
    }
  });

  it('serves OpenMetrics with trace-id exemplars when asked, and unchanged Prometheus text otherwise', async () => {
    const traceId = await storedTraceId(gids.retried);
    const open = await server.app.inject({
      url: '/metrics',
      headers: { accept: OPENMETRICS_ACCEPT },
    });
    assert.equal(open.statusCode, 200);
    assert.equal(
      open.headers['content-type'],
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    assert.match(open.body, /\n# EOF\n$/);
    // Counters: the family without `_total`, the sample with it.
    assert.match(open.body, /^# TYPE accord_transactions counter$/m);
    assert.match(open.body, /^accord_transactions_total\{mode="saga",status="succeeded"\} \d/m);
    const exemplar = (metric: string, labels: string) =>
      new RegExp(
        `^${metric}_bucket\\{le="[^"]+",${labels}\\} \\d+ # \\{trace_id="${traceId}"\\} [0-9.e-]+ [0-9.]+$`,
        'm',
      );
    assert.match(
      open.body,
      exemplar('accord_branch_call_seconds', 'op="action",outcome="success"'),
    );
    assert.match(
      open.body,
      exemplar('accord_transaction_duration_seconds', 'mode="saga",outcome="succeeded"'),
    );

    // After an OpenMetrics scrape, the default format is still the Prometheus text.
    for (const headers of [{}, { accept: 'text/plain;version=0.0.4' }, { accept: '*/*' }]) {
      const text = await server.app.inject({ url: '/metrics', headers });
      assert.equal(text.statusCode, 200);
      assert.equal(text.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(text.body, /^# TYPE accord_transactions_total counter$/m);
      assert.match(text.body, /^accord_transactions_total\{mode="saga",status="succeeded"\} \d/m);
      assert.match(
        text.body,
        /^accord_branch_call_seconds_bucket\{le="\+Inf",op="action",outcome="success"\} \d+$/m,
      );
      assert.doesNotMatch(text.body, /trace_id|# EOF/);
    }
    const refused = await server.app.inject({
      url: '/metrics',
      headers: { accept: 'application/openmetrics-text;q=0, text/plain' },
    });
    assert.equal(refused.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  });
});
