#!/usr/bin/env node
// A private Redis Cluster on loopback for the test suites: three masters (no replicas)
// run by the machine's redis-server, each on free ports with its own temporary directory,
// holding all 16384 slots. Nothing is kept on disk and nothing outside the temporary
// directory is touched; `stop()` kills the servers and removes the directory.
//
// From the command line it runs in the foreground until Ctrl-C (or SIGTERM):
//
//   node scripts/redis-cluster.mjs [--masters N]
//   # redis cluster ready: redis://127.0.0.1:40123 (3 masters) ...
//   ACCORD_TEST_REDIS_CLUSTER_URL=redis://127.0.0.1:40123 npm test -- redis
//
// As a module (the test runner uses it this way):
//
//   import { start, stop } from './redis-cluster.mjs';
//   const cluster = await start();   // { url, nodes, dir }
//   ...
//   await stop(cluster);
//
// Slots are assigned with CLUSTER ADDSLOTSRANGE and the nodes joined with CLUSTER MEET,
// so only redis-server (7.0 or newer) is needed, not redis-cli.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';

const HOST = '127.0.0.1';
const SLOTS = 16384;
const READY_TIMEOUT_MS = 30_000;

/** Why a cluster cannot be started here, or null when redis-server is usable. */
export function unavailable() {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return 'redis-server is not installed (apt-get install redis-server)';
  }
  const major = Number(/v=(\d+)\./.exec(probe.stdout)?.[1] ?? 0);
  return major >= 7 ? null : `redis-server ${probe.stdout.trim()} is older than 7.0`;
}

/** A TCP port free on loopback right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Distinct free ports: the client port and the cluster bus port of every node. */
async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true, or throws after `timeoutMs` naming `what`. */
async function until(check, what, timeoutMs = READY_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `redis cluster: timed out waiting for ${what}${last ? ` (${last.message})` : ''}`,
      );
    }
    await sleep(50);
  }
}

function launch(node) {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(node.port),
      '--cluster-port',
      String(node.busPort),
      '--bind',
      HOST,
      '--protected-mode',
      'no',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(node.dir, 'nodes.conf'),
      '--cluster-node-timeout',
      '5000',
      '--dir',
      node.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--logfile',
      join(node.dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  child.on('error', () => undefined); // reported by the readiness wait instead
  return child;
}

function client(node) {
  const redis = new Redis({
    host: HOST,
    port: node.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  return redis;
}

/** `CLUSTER INFO` as a map. */
async function clusterInfo(redis) {
  const text = String(await redis.call('CLUSTER', 'INFO'));
  return new Map(
    text
      .split(/\r?\n/)
      .filter((l) => l.includes(':'))
      .map((l) => l.trim().split(':')),
  );
}

/**
 * Starts a cluster of `masters` nodes and resolves once every node reports
 * `cluster_state:ok` with all slots assigned and every node known.
 * Resolves to `{ url, nodes: [{ port, busPort, dir, pid }], dir }`; on failure
 * everything started is stopped and removed before the error is thrown.
 */
export async function start({ masters = 3 } = {}) {
  const problem = unavailable();
  if (problem) throw new Error(`redis cluster: ${problem}`);
  if (!Number.isInteger(masters) || masters < 1)
    throw new Error('redis cluster: masters must be >= 1');
  const dir = mkdtempSync(join(tmpdir(), 'accord-redis-cluster-'));
  const ports = await freePorts(masters * 2);
  const nodes = Array.from({ length: masters }, (_, i) => {
    const node = { port: ports[2 * i], busPort: ports[2 * i + 1], dir: join(dir, `node-${i}`) };
    mkdirSync(node.dir);
    return node;
  });
  const cluster = { url: `redis://${HOST}:${nodes[0].port}`, dir, nodes, children: [] };
  // Should the owner exit without calling stop(), the servers and files still go.
  cluster.onExit = () => killNow(cluster);
  process.once('exit', cluster.onExit);
  const clients = [];
  try {
    for (const node of nodes) {
      const child = launch(node);
      cluster.children.push(child);
      node.pid = child.pid;
    }
    for (const [i, node] of nodes.entries()) {
      const redis = client(node);
      clients.push(redis);
      await until(async () => {
        if (cluster.children[i].exitCode !== null) {
          throw new Error(`redis-server on port ${node.port} exited; see ${node.dir}/redis.log`);
        }
        if (redis.status !== 'ready') await redis.connect().catch(() => redis.disconnect());
        return (await redis.ping()) === 'PONG';
      }, `redis-server on port ${node.port}`);
    }
    // Contiguous slot ranges, distinct config epochs (no collision to resolve), then join.
    for (const [i, redis] of clients.entries()) {
      const first = Math.floor((i * SLOTS) / masters);
      const last = Math.floor(((i + 1) * SLOTS) / masters) - 1;
      await redis.call('CLUSTER', 'ADDSLOTSRANGE', first, last);
      await redis.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    }
    for (const node of nodes.slice(1)) {
      await clients[0].call('CLUSTER', 'MEET', HOST, node.port, node.busPort);
    }
    await until(async () => {
      for (const redis of clients) {
        const info = await clusterInfo(redis);
        if (info.get('cluster_state') !== 'ok') return false;
        if (info.get('cluster_slots_assigned') !== String(SLOTS)) return false;
        if (info.get('cluster_known_nodes') !== String(masters)) return false;
      }
      return true;
    }, 'cluster_state:ok on every node');
    return cluster;
  } catch (error) {
    await stop(cluster);
    throw error;
  } finally {
    for (const redis of clients) redis.disconnect();
  }
}

/**
 * For the test runner: starts a cluster and exports its seed node as
 * ACCORD_TEST_REDIS_CLUSTER_URL to the processes started afterwards, unless that variable
 * is already set (a cluster of the caller's) or redis-server is missing (the cluster
 * suites then skip, or fail with ACCORD_REQUIRE_SERVICES=1). Resolves to `{ stop() }`.
 */
export async function startForTests() {
  const TAG = 'redis-cluster:';
  const none = { stop: async () => undefined };
  if (process.env.ACCORD_TEST_REDIS_CLUSTER_URL) {
    console.log(`${TAG} using ${process.env.ACCORD_TEST_REDIS_CLUSTER_URL}`);
    return none;
  }
  const problem = unavailable();
  if (problem) {
    console.log(`${TAG} not started: ${problem}`);
    return none;
  }
  let cluster;
  try {
    cluster = await start();
  } catch (error) {
    console.error(`${TAG} could not start: ${error instanceof Error ? error.message : error}`);
    return none;
  }
  process.env.ACCORD_TEST_REDIS_CLUSTER_URL = cluster.url;
  console.log(`${TAG} private 3-master cluster at ${cluster.url}`);
  return { stop: () => stop(cluster) };
}

/** Kills every node of a cluster `start()` returned and removes its directory. */
export async function stop(cluster) {
  if (!cluster) return;
  process.removeListener('exit', cluster.onExit);
  await Promise.all(
    (cluster.children ?? []).map((child) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        return undefined;
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    }),
  );
  rmSync(cluster.dir, { recursive: true, force: true });
}

/** Synchronous last resort (an `exit` handler cannot wait). */
function killNow(cluster) {
  for (const child of cluster.children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  rmSync(cluster.dir, { recursive: true, force: true });
}

async function main(argv) {
  const at = argv.indexOf('--masters');
  const masters = at >= 0 ? Number(argv[at + 1]) : 3;
  const cluster = await start({ masters });
  const ports = cluster.nodes.map((n) => n.port).join(', ');
  console.log(
    `redis cluster ready: ${cluster.url} (${masters} masters on ports ${ports}, data in ${cluster.dir})`,
  );
  console.log(`  ACCORD_TEST_REDIS_CLUSTER_URL=${cluster.url} npm test -- redis`);
  console.log('Ctrl-C stops it and removes its data.');
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    stop(cluster).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
