/**
 * The raw baseline's system under test, run as its own process: an HTTP handler that
 * calls participant A, then B, with the body it received, through undici keep-alive pools,
 * and answers. The same work as a two-step saga with nothing stored and nothing retried.
 *
 * Environment: `RELAY_PORT`, `RELAY_TARGET_A`, `RELAY_TARGET_B` (full action URLs).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`relay: ${name} is not set`);
  return value;
}

const targets = ['RELAY_TARGET_A', 'RELAY_TARGET_B'].map((name) => {
  const url = new URL(required(name));
  return { path: url.pathname, pool: new Pool(url.origin, { pipelining: 1 }) };
});
const DONE = JSON.stringify({ status: 'succeeded' });

async function relay(body: string): Promise<number> {
  for (const target of targets) {
    const answer = await target.pool.request({
      method: 'POST',
      path: target.path,
      headers: { 'content-type': 'application/json' },
      body,
    });
    await answer.body.dump();
    if (answer.statusCode < 200 || answer.statusCode > 299) return 502;
  }
  return 200;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/readyz') {
    res.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    relay(Buffer.concat(chunks).toString('utf8')).then(
      (status) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 200 ? DONE : '{"status":"failed"}');
      },
      (error: unknown) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(error));
      },
    );
  });
}

const server = createServer({ keepAliveTimeout: 60_000 }, handle);
server.listen(Number(required('RELAY_PORT')), '127.0.0.1');
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
