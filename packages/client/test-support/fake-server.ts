/**
 * A tiny real HTTP server for the SDK's own tests: records every request and answers with
 * whatever the test's route function says. Not part of the public API.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Transaction } from '../src/client/wire-types.js';

/** One request the fake server received. */
export interface Recorded {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or undefined. */
  readonly json: unknown;
}

/** What a route answers. */
export interface FakeAnswer {
  readonly status: number;
  /** JSON-encoded unless a string. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly delayMs?: number;
}

/** A running fake server. */
export interface FakeServer {
  readonly url: string;
  readonly calls: Recorded[];
  close(): Promise<void>;
}

/** Starts a fake server on 127.0.0.1 with a free port. */
export async function startFakeServer(
  route: (call: Recorded) => FakeAnswer | Promise<FakeAnswer>,
): Promise<FakeServer> {
  const calls: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        json = undefined;
      }
      const call: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        text,
        json,
      };
      calls.push(call);
      void Promise.resolve(route(call)).then(async (answer) => {
        if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
        if (answer.body === undefined) {
          res.writeHead(answer.status).end();
          return;
        }
        const payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res
          .writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' })
          .end(payload);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A plausible transaction as the coordinator would show it. */
export function fakeTransaction(over: Partial<Transaction> = {}): Transaction {
  const now = new Date(0).toISOString();
  return {
    gid: 'gid-1',
    mode: 'saga',
    status: 'submitted',
    reason: null,
    parked: false,
    paused: false,
    labels: {},
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    nextAttemptAt: null,
    options: {
      requestTimeoutMs: 3000,
      retry: {
        firstDelayMs: 1000,
        factor: 2,
        maxDelayMs: 300_000,
        jitter: 0.2,
        ongoingDelayMs: 1000,
        maxAttempts: 30,
      },
      timeoutMs: null,
      concurrent: false,
      headers: {},
    },
    checkUrl: null,
    ...over,
  };
}

/**
 * An in-memory coordinator good enough for the builders: create/register/submit/abort
 * under /v1, plus participant routes `/try/<status>` answering that status. `fail` makes a
 * given route (e.g. `abort`) answer 500.
 */
export async function startFakeCoordinator(
  options: { fail?: readonly string[] } = {},
): Promise<FakeServer> {
  const txs = new Map<string, Transaction>();
  let next = 0;
  return startFakeServer((call) => {
    const path = call.url.split('?')[0] ?? '';
    const trySt = /^\/try\/(\d{3})$/.exec(path);
    if (trySt) {
      const status = Number(trySt[1]);
      if (status >= 200 && status < 300) {
        return { status, body: { tried: call.headers['accord-branch'], echo: call.json ?? null } };
      }
      return { status, body: { error: { code: 'X', message: `participant says ${status}` } } };
    }
    const m = /^\/v1\/transactions(?:\/([^/]+)(?:\/(\w+))?)?$/.exec(path);
    if (!m) return { status: 404, body: { error: { code: 'NOT_FOUND', message: path } } };
    const gid = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    const action = m[2] ?? (gid === undefined ? 'create' : 'query');
    if (options.fail?.includes(action)) {
      return { status: 500, body: { error: { code: 'INTERNAL', message: `${action} broke` } } };
    }
    const body = (call.json ?? {}) as Record<string, unknown>;
    if (action === 'create') {
      next += 1;
      const id = typeof body['gid'] === 'string' ? body['gid'] : `gen-${next}`;
      const mode = body['mode'] as Transaction['mode'];
      const tx = fakeTransaction({
        gid: id,
        mode,
        status: mode === 'saga' ? 'submitted' : 'prepared',
      });
      txs.set(id, tx);
      return { status: 201, body: { transaction: tx } };
    }
    const tx = gid === undefined ? undefined : txs.get(gid);
    if (!tx) {
      return { status: 404, body: { error: { code: 'TRANSACTION_NOT_FOUND', message: 'no' } } };
    }
    if (action === 'branches') return { status: 201, body: { transaction: tx } };
    if (action === 'submit') tx.status = 'submitted';
    if (action === 'abort') tx.status = 'aborting';
    return { status: 200, body: { transaction: tx } };
  });
}
