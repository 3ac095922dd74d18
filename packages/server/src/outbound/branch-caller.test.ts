import assert from 'node:assert/strict';
import { verifySignature } from '@accord/client/participant';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { BranchOp, TransactionRecord } from '@accord/core';
import { DEFAULT_RETRY_POLICY, newOp, systemClock } from '@accord/core';
import { HttpBranchCaller } from './branch-caller.js';
import { TargetPolicy } from './target-policy.js';
import { DEFAULT_DENIED_TARGETS } from '../config/config.js';

const tx: TransactionRecord = {
  gid: 'g-1',
  mode: 'saga',
  status: 'submitted',
  options: {
    // Generous: an ordinary call must not time out on a loaded machine. The time-out test
    // uses its own short one against a route that never answers.
    requestTimeoutMs: 30_000,
    retry: DEFAULT_RETRY_POLICY,
    timeoutMs: null,
    concurrent: false,
    headers: { 'x-tenant': 't1' },
  },
  checkUrl: null,
  fingerprint: 'f',
  reason: null,
  createdAt: 0,
  updatedAt: 0,
  finishedAt: null,
  deadlineAt: null,
  nextAttemptAt: null,
  parked: false,
  paused: false,
  labels: {},
  leaseOwner: null,
  leaseUntil: 0,
  fence: 0,
};

describe('outbound target policy', () => {
  const policy = new TargetPolicy({ allowed: [], denied: DEFAULT_DENIED_TARGETS });
  it('denies link-local and metadata targets by default', () => {
    assert.match(policy.checkUrl('http://169.254.169.254/') ?? '', /denied/);
    assert.match(policy.checkUrl('http://[fe80::1]/') ?? '', /denied/);
    assert.match(policy.checkUrl('http://metadata.google.internal/') ?? '', /denied/);
    assert.equal(policy.checkUrl('http://127.0.0.1:8080/x'), null);
    assert.match(policy.checkUrl('http://user:pw@example.com/') ?? '', /credentials/);
  });
  it('restricts to the allow-list when one is set', () => {
    const strict = new TargetPolicy({
      allowed: ['10.0.0.0/8', 'svc.internal'],
      denied: DEFAULT_DENIED_TARGETS,
    });
    assert.equal(strict.checkUrl('http://10.1.2.3/'), null);
    assert.equal(strict.checkUrl('http://svc.internal/'), null);
    assert.match(strict.checkUrl('http://192.168.1.1/') ?? '', /allow-list/);
    assert.match(strict.checkAddress('127.0.0.1') ?? '', /allow-list/);
  });
});

describe('HTTP branch calls against a real server', () => {
  let server: Server;
  let base = '';
  const seen: Array<{ headers: IncomingMessage['headers']; body: string; url: string }> = [];
  const caller = new HttpBranchCaller({
    policy: new TargetPolicy({ allowed: [], denied: DEFAULT_DENIED_TARGETS }),
    clock: systemClock,
    signingSecret: 'secret-1',
  });

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body, url: req.url ?? '' });
        const status = Number(req.url?.slice(1)) || 200;
        if (req.url === '/slow') return; // never answers; closed in after()
        res.statusCode = status;
        res.end(status === 200 ? 'ok' : `status ${status}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await caller.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const op = (path: string): BranchOp =>
    newOp('b1', 'action', { url: `${base}${path}`, payload: '{"amount":5}' }, 0, 0);

  it('sends the payload with Accord headers, trace context and a valid signature', async () => {
    const outcome = await caller.call(tx, op('/200'));
    assert.deepEqual(outcome, { kind: 'success', httpStatus: 200, message: null });
    const last = seen.at(-1)!;
    assert.equal(last.body, '{"amount":5}');
    assert.equal(last.headers['accord-gid'], 'g-1');
    assert.equal(last.headers['accord-branch'], 'b1');
    assert.equal(last.headers['accord-op'], 'action');
    assert.equal(last.headers['accord-mode'], 'saga');
    assert.equal(last.headers['x-tenant'], 't1');
    assert.match(String(last.headers['traceparent']), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // The SDK's verifier accepts it for this call, and for no other op.
    const signature = String(last.headers['accord-signature']);
    const call = { gid: 'g-1', branchId: 'b1', op: 'action', mode: 'saga' };
    verifySignature('secret-1', signature, call, last.body);
    assert.throws(() =>
      verifySignature('secret-1', signature, { ...call, op: 'compensate' }, last.body),
    );
  });

  it('classifies replies by status alone', async () => {
    assert.equal((await caller.call(tx, op('/409'))).kind, 'failure');
    assert.equal((await caller.call(tx, op('/425'))).kind, 'ongoing');
    const error = await caller.call(tx, op('/500'));
    assert.equal(error.kind, 'error');
    assert.equal(error.message, 'status 500');
    assert.equal((await caller.call(tx, op('/204'))).kind, 'success');
  });

  it('reports a timeout and a refused connection as unknown outcomes', async () => {
    const short = { ...tx, options: { ...tx.options, requestTimeoutMs: 300 } };
    const slow = await caller.call(short, op('/slow'));
    assert.deepEqual([slow.kind, slow.httpStatus], ['error', null]);
    assert.match(slow.message ?? '', /timed out after 300 ms/);
    const refused = await caller.call(
      tx,
      newOp('b', 'action', { url: 'http://127.0.0.1:1/x', payload: '' }, 0, 0),
    );
    assert.equal(refused.kind, 'error');
    assert.match(refused.message ?? '', /ECONNREFUSED/);
  });

  it('abandons a call when its signal aborts, closing the connection', async () => {
    let closed: () => void = () => undefined;
    const serverSawClose = new Promise<void>((r) => (closed = r));
    server.once('request', (req: IncomingMessage) => req.socket.once('close', closed));
    const controller = new AbortController();
    const started = performance.now();
    const call = caller.call(
      { ...tx, options: { ...tx.options, requestTimeoutMs: 5_000 } },
      op('/slow'),
      controller.signal,
    );
    setTimeout(() => controller.abort(), 50);
    const outcome = await call;
    assert.deepEqual([outcome.kind, outcome.httpStatus], ['error', null]);
    assert.match(outcome.message ?? '', /abandoned/);
    await serverSawClose;
    assert.ok(performance.now() - started < 900, 'ended before the participant answered');
  });
});
