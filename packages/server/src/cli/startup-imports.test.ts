import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, tempDir } from '@accord/testkit';

const SERVER = new URL('../server.js', import.meta.url).href;
const CONFIG = new URL('../config/config.js', import.meta.url).href;

/** Driver and client packages a coordinator on SQLite without brokers never needs to start. */
const UNUSED = [
  ...['pg', 'mysql2', 'ioredis', 'amqplib', 'nats', 'undici'],
  // gRPC: loaded only with ACCORD_GRPC_PORT (server) or a first grpc:// target (client).
  ...['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs'],
  // Schema compilers: loaded on first use.
  ...['ajv', 'ajv-formats', '@fastify/fast-json-stringify-compiler'],
  // Human-readable logs: loaded only with ACCORD_LOG_FORMAT=pretty.
  'pino-pretty',
];

/** The packages under node_modules a coordinator has loaded once it answers /readyz. */
function packagesLoadedByStart(dataDir: string): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const { loadConfig } = await import(${JSON.stringify(CONFIG)});
    const { startServer } = await import(${JSON.stringify(SERVER)});
    const server = await startServer(loadConfig({ port: '0', dataDir: ${JSON.stringify(dataDir)} }));
    const ready = await fetch(server.url + '/readyz');
    if (!ready.ok) throw new Error('not ready: ' + ready.status);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    await server.close();
    console.log(JSON.stringify(loaded));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ACCORD_LOG_LEVEL: 'error' },
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const files = JSON.parse(child.stdout.trim().split('\n').pop() ?? '[]') as string[];
  const names = files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]);
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

const BUNDLE_SCRIPT = new URL('../../../../../scripts/bundle-cli.mjs', import.meta.url).href;
/** A bundle made for this test (beside the test build, so node_modules resolve). */
const TEST_BUNDLE = fileURLToPath(new URL('../../startup-bundle/accord.cjs', import.meta.url));

/** What `accord serve` through the bundle has required from node_modules once it is ready. */
async function packagesLoadedByBundledStart(dataDir: string): Promise<string[]> {
  const { bundleCli } = (await import(BUNDLE_SCRIPT)) as {
    bundleCli: (outfile: string) => Promise<number>;
  };
  await bundleCli(TEST_BUNDLE);
  const port = await freePort();
  const script = `
    process.argv = [process.execPath, ${JSON.stringify(TEST_BUNDLE)}, 'serve'];
    require(${JSON.stringify(TEST_BUNDLE)});
    (async () => {
      for (let i = 0; ; i++) {
        try {
          const ready = await fetch('http://127.0.0.1:${port}/readyz');
          if (ready.ok) break;
        } catch {}
        if (i > 3000) throw new Error('not ready');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      console.log(JSON.stringify(Object.keys(require.cache)));
      process.exit(0);
    })();
  `;
  const child = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: {
      ...process.env,
      ACCORD_LOG_LEVEL: 'error',
      ACCORD_HOST: '127.0.0.1',
      ACCORD_PORT: String(port),
      ACCORD_DATA_DIR: dataDir,
      ACCORD_STORE: 'sqlite:accord.db',
    },
    timeout: 90_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const files = JSON.parse(child.stdout.trim().split('\n').pop() ?? '[]') as string[];
  const names = files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]);
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

describe('coordinator start-up', () => {
  // Not a timing test: it checks what is loaded, which is what start-up CPU follows.
  it('loads no driver, broker client or HTTP client it does not use', () => {
    const dir = tempDir('accord-startup-');
    try {
      const loaded = packagesLoadedByStart(dir.path);
      assert.ok(
        loaded.includes('better-sqlite3'),
        `the SQLite driver is loaded: ${loaded.join(', ')}`,
      );
      assert.deepEqual(
        UNUSED.filter((name) => loaded.includes(name)),
        [],
      );
    } finally {
      dir.remove();
    }
  });

  // The bundle the bin runs inlines Fastify and pino; everything else stays out of it
  // and must still be loaded only when used.
  it('through the bundle, requires only the SQLite driver and prom-client from node_modules', async () => {
    const dir = tempDir('accord-startup-bundle-');
    try {
      const loaded = await packagesLoadedByBundledStart(dir.path);
      assert.deepEqual(
        loaded.filter(
          (name) =>
            ![
              'better-sqlite3',
              'bindings',
              'file-uri-to-path',
              'prom-client',
              'tdigest',
              'bintrees',
            ].includes(name),
        ),
        [],
        `loaded: ${loaded.join(', ')}`,
      );
      assert.ok(
        loaded.includes('better-sqlite3'),
        `the SQLite driver is loaded: ${loaded.join(', ')}`,
      );
    } finally {
      dir.remove();
    }
  });
});
