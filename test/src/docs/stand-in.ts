/**
 * A stand-in participant service for doc blocks that call services: it accepts every
 * Accord call on any path, answers 2xx (or a fixed body) and records what arrived.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accordHandler } from './sdk.js';
import { onCleanup } from './prelude-hooks.js';

/** One call a stand-in received. */
export interface ReceivedCall {
  readonly path: string;
  /** The `Accord-Op` header: `try`, `confirm`, `commit`, … */
  readonly op: string;
}

/** A running stand-in. */
export interface StandIn {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly calls: readonly ReceivedCall[];
}

/** Listens on `port` (0: any free one) with `listener`; closed on clean-up. */
export async function listen(
  listener: RequestListener,
  port = 0,
): Promise<Server & { url: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  onCleanup(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port: bound } = server.address() as AddressInfo;
  return Object.assign(server, { url: `http://127.0.0.1:${bound}` });
}

/** Starts a stand-in that accepts every call. */
export async function startStandIn(port = 0): Promise<StandIn> {
  const calls: ReceivedCall[] = [];
  const handler = accordHandler(() => Promise.resolve({ ok: true }));
  const server = await listen((req, res) => {
    calls.push({ path: req.url ?? '', op: String(req.headers['accord-op'] ?? '') });
    handler(req, res);
  }, port);
  return { url: server.url, calls };
}
