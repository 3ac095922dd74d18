/**
 * A DTM-style participant for tests: answers every call with a scripted reply and
 * records what DTM's convention put on the wire (method, query, headers, body).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the participant received. */
export interface SeenCall {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A reply: status and body text. */
export type Answer = { status: number; body?: string };

/** A participant on loopback. */
export class DtmParticipant {
  readonly calls: SeenCall[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private answer: (call: SeenCall) => Answer = () => ({ status: 200 })) {}

  /** Replaces the script. */
  script(answer: (call: SeenCall) => Answer): void {
    this.answer = answer;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://participant');
        const call: SeenCall = {
          method: req.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body,
        };
        this.calls.push(call);
        const { status, body: text } = this.answer(call);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text ?? '{"dtm_result":"SUCCESS"}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Calls of a gid, as `path:op` strings in arrival order. */
  seen(gid: string): string[] {
    return this.calls
      .filter((c) => c.query['gid'] === gid)
      .map((c) => `${c.path}:${c.query['op']}`);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
