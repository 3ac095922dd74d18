/**
 * What the fuzzer runs against: a real coordinator (in this process, SQLite in a temp
 * dir), a participant that answers its branch calls, an HTTP client that sends raw
 * requests, and the ledger of what the coordinator accepted, to compare with its store.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'undici';
import type { Store } from '@accord/core';
import {
  HTTP_STATUS,
  loadConfig,
  startServer,
  tccRestGid,
  type RunningServer,
} from '@accord/server';
import { tempDir } from '@accord/testkit';
import { apiRoutes, type ApiRoute, type Json } from './api-routes.js';
import { ContractCheck, type RawReply } from './contract-check.js';
import type { RawRequest } from './raw-request.js';
import type { Targets } from './request-plans.js';

const CLIENT_TOKEN = 'fuzz-client-token-0123456789';
const ADMIN_TOKEN = 'fuzz-admin-token-0123456789';

/** Rows in the store. */
export interface StoreCounts {
  readonly transactions: number;
  readonly branchOps: number;
}

/** Counts the store's rows through the Store port, and their gids and ops. */
export async function readStore(
  store: Store,
): Promise<StoreCounts & { ops: Map<string, Set<string>> }> {
  const ops = new Map<string, Set<string>>();
  let branchOps = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 500, cursor });
    for (const tx of page.items) {
      const snapshot = await store.get(tx.gid);
      const keys = new Set((snapshot?.ops ?? []).map((op) => `${op.branchId}:${op.op}`));
      branchOps += keys.size;
      ops.set(tx.gid, keys);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return { transactions: ops.size, branchOps, ops };
}

/** A participant that answers by path: `/ok` 200, `/fail` 409, `/later` 425. */
async function startParticipant(): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const status = request.url?.startsWith('/fail')
        ? 409
        : request.url?.startsWith('/later')
          ? 425
          : 200;
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The coordinator under test and everything around it. */
export class FuzzWorld {
  /** Gid to the branch ops (`branchId:op`) replies showed for it; a reply with it is 2xx. */
  readonly accepted = new Map<string, Set<string>>();
  /** Participants paused by a 2xx reply and not resumed by a later one. */
  readonly paused = new Set<string>();

  private constructor(
    readonly server: RunningServer,
    private readonly participant: Server,
    private readonly client: Client,
    private readonly dir: { remove(): void },
    readonly routes: readonly ApiRoute[],
    readonly document: Json,
    readonly check: ContractCheck,
    readonly targets: Targets,
  ) {}

  static async start(): Promise<FuzzWorld> {
    const dir = tempDir('accord-fuzz-');
    const participant = await startParticipant();
    const server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_TOKEN: CLIENT_TOKEN,
          ACCORD_ADMIN_TOKEN: ADMIN_TOKEN,
          ACCORD_BODY_LIMIT: '65536',
          ACCORD_MAX_STEPS: '8',
          ACCORD_WAIT_RESULT_CAP_MS: '100',
          ACCORD_POLL_INTERVAL_MS: '100',
          ACCORD_RETRY_FIRST_MS: '100',
          ACCORD_RETRY_MAX_MS: '2000',
          ACCORD_MAX_ATTEMPTS: '3',
        },
      ),
    );
    const client = new Client(server.url, { pipelining: 1, headersTimeout: 30_000 });
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as Json;
    const routes = apiRoutes(document);
    const base = `http://127.0.0.1:${(participant.address() as AddressInfo).port}`;
    const targets: Targets = {
      participantUrls: [`${base}/ok`, `${base}/ok/2`, `${base}/fail`, `${base}/later`],
      gids: Array.from({ length: 48 }, (_, i) => `fz-${i}`),
      adminToken: ADMIN_TOKEN,
    };
    const statusOf = (code: string) => (HTTP_STATUS as Record<string, number>)[code];
    const check = new ContractCheck(document, routes, statusOf);
    return new FuzzWorld(server, participant, client, dir, routes, document, check, targets);
  }

  /** Resolves `#/components/schemas/X` in the document. */
  resolve = (ref: string): Json => {
    const name = ref.replace('#/components/schemas/', '');
    return (this.document['components'] as { schemas: Record<string, Json> }).schemas[name]!;
  };

  /** Sends `request` as it is. */
  async send(request: RawRequest): Promise<RawReply> {
    const res = await this.client.request({
      method: request.method,
      path: request.path,
      headers: request.headers,
      body: request.body,
    });
    const text = await res.body.text();
    const type = res.headers['content-type'];
    return { status: res.statusCode, contentType: String(type ?? ''), text };
  }

  /**
   * Notes what `request` made the coordinator store, as its reply tells: a native 2xx
   * reply shows the transaction or notification; a DTM or TCC-for-REST answer shows no
   * transaction, so the request says what was accepted.
   */
  record(request: RawRequest, reply: RawReply): void {
    const path = request.path.split('?')[0]!;
    if (path.startsWith('/api/')) return this.recordDtm(path, request, reply);
    if (path.startsWith('/tcc/')) return this.recordTccRest(request, reply);
    if (reply.status < 200 || reply.status >= 300 || reply.contentType.indexOf('json') < 0) return;
    const participant = /^\/v1\/participants\/([^/]+)\/(pause|resume)$/.exec(path);
    if (participant) {
      const host = decodeURIComponent(participant[1]!).toLowerCase();
      if (participant[2] === 'pause') this.paused.add(host);
      else this.paused.delete(host);
      return;
    }
    const body = JSON.parse(reply.text) as {
      transaction?: { gid: string; branches?: Array<{ branchId: string; op: string }> };
      notification?: { id: string };
    };
    if (body.transaction) {
      const ops = this.ledger(body.transaction.gid);
      for (const b of body.transaction.branches ?? []) ops.add(`${b.branchId}:${b.op}`);
    }
    if (body.notification) this.ledger(body.notification.id).add('notify:action');
  }

  /**
   * prepare and submit accepted: the gid and one action (and compensate) per step, ids
   * `01`, `02`, … A submit that waited for the end also stored it when it answers 409
   * (it failed) or 425 (still running). A registration: the branch's phase-two ops (all
   * four named, the gid's mode picks two).
   */
  private recordDtm(path: string, request: RawRequest, reply: RawReply): void {
    const body = bodyOf(request);
    if (body === null || typeof body['gid'] !== 'string') return;
    const action = path.slice('/api/dtmsvr/'.length);
    const waited = action === 'submit' && body['wait_result'] === true;
    const stored = reply.status === 200 || (waited && [409, 425].includes(reply.status));
    if (!stored) return;
    if (action === 'prepare' || action === 'submit') {
      const ops = this.ledger(body['gid']);
      const steps = Array.isArray(body['steps'])
        ? (body['steps'] as Record<string, unknown>[])
        : [];
      steps.forEach((step, i) => {
        const id = String(i + 1).padStart(2, '0');
        ops.add(`${id}:action`);
        if (step['compensate']) ops.add(`${id}:compensate`);
      });
    } else if (action.startsWith('register')) {
      const ops = this.ledger(body['gid']);
      for (const op of ['confirm', 'cancel', 'commit', 'rollback']) {
        ops.add(`${String(body['branch_id'])}:${op}`);
      }
    }
  }

  /** A confirm or cancel answered 204, or 404/409 with the links' outcomes: it is stored. */
  private recordTccRest(request: RawRequest, reply: RawReply): void {
    const outcomes = reply.status !== 204 && reply.text.includes('"participantLinks"');
    if (reply.status !== 204 && !([404, 409].includes(reply.status) && outcomes)) return;
    const links = bodyOf(request)?.['participantLinks'] as Array<{ uri: string }>;
    const ops = this.ledger(tccRestGid(links.map((l) => ({ uri: l.uri, expires: 0 }))));
    links.forEach((_, i) => {
      const id = `p${String(i + 1).padStart(2, '0')}`;
      ops.add(`${id}:confirm`).add(`${id}:cancel`);
    });
  }

  private ledger(gid: string): Set<string> {
    let ops = this.accepted.get(gid);
    if (!ops) this.accepted.set(gid, (ops = new Set()));
    return ops;
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.server.close();
    await new Promise((resolve) => this.participant.close(resolve));
    this.dir.remove();
  }
}

/** The JSON object a request carried, read as the coordinator reads it; null if none. */
function bodyOf(request: RawRequest): Record<string, unknown> | null {
  try {
    const value = JSON.parse(request.body?.toString('utf8') ?? '') as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
