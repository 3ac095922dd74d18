/**
 * The smallest Express-like app a doc block can register routes on: `app.post(path,
 * handler)` with node:http handlers such as `accordHandler(...)`, served on a free port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from './stand-in.js';

/** A node:http route handler, as `accordHandler` returns. */
export type NodeRoute = (req: IncomingMessage, res: ServerResponse) => void;

/** An app with `post` routes and the base URL it serves on. */
export interface MiniApp {
  readonly url: string;
  post(path: string, handler: NodeRoute): void;
}

/** Starts an app with no routes yet; unknown paths answer 404. */
export async function startMiniApp(): Promise<MiniApp> {
  const routes = new Map<string, NodeRoute>();
  const server = await listen((req, res) => {
    const route =
      req.method === 'POST' ? routes.get((req.url ?? '').split('?')[0] ?? '') : undefined;
    if (route) return route(req, res);
    res.statusCode = 404;
    res.end();
  });
  return {
    url: server.url,
    post(path, handler) {
      routes.set(path, handler);
    },
  };
}
