/**
 * Worker-thread entry that runs the two participants (A and B) as real `node:http`
 * servers on 127.0.0.1, on an event loop of their own so that they do not compete with
 * the load generator. Each call reads and parses its JSON body (the same trivial work in
 * both scenarios) and answers 200. Talks to {@link startParticipants} by messages.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';
import type { CallCounts, ParticipantName, ToParent, ToWorker } from './participants.js';

const NAMES: readonly ParticipantName[] = ['a', 'b'];
const REPLY = JSON.stringify({ ok: true });

function emptyCounts(): CallCounts {
  return { action: 0, compensate: 0, other: 0, badBody: 0 };
}

let counts: Record<ParticipantName, CallCounts> = { a: emptyCounts(), b: emptyCounts() };

function handler(name: ParticipantName) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const own = counts[name];
      const op = req.url?.split('/').pop();
      if (op === 'action') own.action++;
      else if (op === 'compensate') own.compensate++;
      else own.other++;
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        if (body !== '') JSON.parse(body);
      } catch {
        own.badBody++;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': REPLY.length });
      res.end(REPLY);
    });
  };
}

async function listen(name: ParticipantName): Promise<{ server: Server; port: number }> {
  const server = createServer({ keepAliveTimeout: 60_000 }, handler(name));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('participant-worker.js must run as a worker thread');
  const servers = await Promise.all(NAMES.map(listen));
  const send = (message: ToParent) => port.postMessage(message);
  port.on('message', (message: ToWorker) => {
    if (message.type === 'stats') {
      send({ type: 'stats', counts });
    } else if (message.type === 'reset') {
      counts = { a: emptyCounts(), b: emptyCounts() };
      send({ type: 'reset' });
    } else {
      for (const { server } of servers) server.closeAllConnections();
      void Promise.all(
        servers.map(({ server }) => new Promise((resolve) => server.close(resolve))),
      ).then(() => port.close());
    }
  });
  send({ type: 'ready', ports: { a: servers[0]?.port ?? 0, b: servers[1]?.port ?? 0 } });
}

main().catch((error: unknown) => {
  console.error('participant worker failed:', error);
  process.exit(1);
});
