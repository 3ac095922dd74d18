/**
 * An XA participant service over node:http for the end-to-end and chaos tests: a
 * local-work route (`POST /xa/local`, the client's `try`) and a phase-two route
 * (`POST /xa/phase-two`, the coordinator's commit and rollback) on one {@link XaLedger}.
 * It can be stopped and started again on the same port with a new pool, like a service
 * that restarts, and it records every phase-two call it receives.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { accordHandler, type AccordHandlerFn } from '@accord/client/participant';
import {
  xaPhaseTwoHandler,
  type PhaseTwoAnswer,
  type PhaseTwoOutcome,
  type RecoverableLike,
} from '@accord/client/xa';
import { freePort } from '@accord/testkit';
import type { LedgerSession, XaLedger } from './xa-ledger.js';

/** A phase-two request as it arrived, to be sent again byte for byte. */
export interface PhaseTwoRequest {
  readonly gid: string;
  readonly branchId: string;
  readonly op: string;
  /** Every request header (lower-case names), signature included. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** What phase two did for one call. */
export interface PhaseTwoResult {
  readonly gid: string;
  readonly branchId: string;
  readonly op: string;
  readonly outcome: PhaseTwoOutcome;
}

type NodeRoute = (req: IncomingMessage & { rawBody?: Buffer }, res: ServerResponse) => void;

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A restartable participant service on one ledger. */
export class XaParticipantService {
  /** Every phase-two request received, in arrival order (kept across restarts). */
  readonly phaseTwoRequests: PhaseTwoRequest[] = [];
  /** What each successful phase-two call did. */
  readonly phaseTwoResults: PhaseTwoResult[] = [];
  private server: Server | undefined;
  private session: LedgerSession | undefined;
  private port = 0;

  constructor(
    readonly ledger: XaLedger,
    /** The signing secret the routes check. */
    readonly secret: string,
  ) {}

  /** Base URL (fixed across restarts once started). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The local-work route. */
  get localUrl(): string {
    return `${this.url}/xa/local`;
  }

  /** The commit and rollback route. */
  get phaseTwoUrl(): string {
    return `${this.url}/xa/phase-two`;
  }

  /** Whether the service is up. */
  get running(): boolean {
    return this.server !== undefined;
  }

  /** The current run's XA helper, for recovery jobs. */
  get xa(): RecoverableLike {
    if (!this.session) throw new Error(`${this.ledger.dialect} participant is stopped`);
    return this.session.xa;
  }

  /** Starts the service: a new pool and the routes, on the port of the first start. */
  async start(): Promise<void> {
    if (this.server) throw new Error(`${this.ledger.dialect} participant already running`);
    if (this.port === 0) this.port = await freePort();
    const session = this.ledger.session();
    const options = { secret: this.secret };
    const local = accordHandler(session.local, options);
    const phaseTwo = accordHandler(this.recorded(xaPhaseTwoHandler(session.xa)), options);
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'POST' && path === '/xa/local') return local(req, res);
      if (req.method === 'POST' && path === '/xa/phase-two')
        return this.capture(phaseTwo)(req, res);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.session = session;
  }

  /** Stops the service: closes the port and every open connection, then ends the pool. */
  async stop(): Promise<void> {
    const { server, session } = this;
    this.server = undefined;
    this.session = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    await session?.end();
  }

  /** Keeps each phase-two request (headers and exact bytes) before the route reads it. */
  private capture(route: NodeRoute): NodeRoute {
    return (req, res) => {
      void readBody(req).then(
        (body) => {
          const headers = flatHeaders(req);
          this.phaseTwoRequests.push({
            gid: headers['accord-gid'] ?? '',
            branchId: headers['accord-branch'] ?? '',
            op: headers['accord-op'] ?? '',
            headers,
            body,
          });
          req.rawBody = body;
          route(req, res);
        },
        () => res.destroy(),
      );
    };
  }

  private recorded(
    fn: AccordHandlerFn<unknown, PhaseTwoAnswer>,
  ): AccordHandlerFn<unknown, PhaseTwoAnswer> {
    return async (ctx, body) => {
      const answer = await fn(ctx, body);
      this.phaseTwoResults.push({
        gid: ctx.gid,
        branchId: ctx.branchId,
        op: ctx.op,
        outcome: answer.outcome,
      });
      return answer;
    };
  }
}
