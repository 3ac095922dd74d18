#!/usr/bin/env node
// Bundles the compiled `accord` command (packages/server/dist/cli/main.js and everything it
// imports from this repository, Fastify and pino included) into one CommonJS file,
// packages/server/dist/bundle/accord.cjs, which `bin/accord.js` runs when it is current.
//
// Why: most of a cold start was Node finding, reading and linking a few hundred small
// modules. One file does away with that; what a start does not use (store drivers, broker
// and HTTP clients, gRPC, the schema compilers, prom-client's default metrics) stays
// outside the bundle and is still loaded only when configured or first used.
//
// The bundle is minified, identifiers included: a smaller file is quicker to read, compile
// and cache (see bin/accord.js). Stack traces then name shortened functions; the compiled
// modules (`node packages/server/dist/cli/main.js`) run the same code with readable ones.
//
// Next to the bundle, `inputs.json` lists the TypeScript build-info files the bundle was
// made from with their modification times; the bin runs the bundle only while they are
// unchanged, so a `tsc -b` after an edit is never hidden by an older bundle.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const server = `${root}packages/server/`;

/** Where the bundle goes, and its entry point. */
export const BUNDLE = `${server}dist/bundle/accord.cjs`;
const ENTRY = `${server}dist/cli/main.js`;

/**
 * Packages left out of the bundle and required from node_modules at run time: native
 * code, drivers and clients loaded only when configured, and packages the server loads by
 * file path on first use (prom-client's parts, the schema compilers).
 */
export const EXTERNAL = [
  'better-sqlite3',
  'pg',
  'pg-native',
  'mysql2',
  'ioredis',
  'amqplib',
  'nats',
  'undici',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'protobufjs',
  'prom-client',
  '@fastify/ajv-compiler',
  'ajv',
  'ajv-formats',
  // Loaded only when tracing is configured: most of them, only then.
  '@opentelemetry/*',
  // Loaded on the first request for the web UI.
  '@fastify/send',
  // Loaded only with ACCORD_LOG_FORMAT=pretty.
  'pino-pretty',
];

/** Build-info files of the projects compiled into the bundle (see `inputs.json`). */
const BUILD_INFO = ['server', 'core', 'protocol', 'client'].map(
  (name) => `${root}packages/${name}/build/dist.tsbuildinfo`,
);

/**
 * Node built-ins that Fastify requires at load time but uses only for options Accord
 * does not set (HTTP/2, HTTPS): in the bundle they are loaded on first property access.
 */
const LAZY_BUILTINS = ['node:http2', 'node:https'];

/** An esbuild plugin resolving {@link LAZY_BUILTINS} to a module that loads them on use. */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    const filter = new RegExp(`^(${LAZY_BUILTINS.map((b) => b.replace(':', ':?')).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'lazy-builtin' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const name = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      return {
        loader: 'js',
        contents: `let loaded;
const load = () => (loaded ??= require(${JSON.stringify(name)}));
module.exports = new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => ({ ...Reflect.getOwnPropertyDescriptor(load(), key), configurable: true }),
});`,
      };
    });
  },
};

/** The build-info files and their modification times, as `inputs.json` records them. */
function currentInputs() {
  return BUILD_INFO.map((file) => [relative(server, file), statSync(file).mtimeMs]);
}

/** Whether the bundle exists and was made from the current build. */
export function bundleIsCurrent(outfile = BUNDLE) {
  try {
    statSync(outfile);
    const recorded = readFileSync(new URL('inputs.json', `file://${outfile}`), 'utf8');
    return recorded === `${JSON.stringify(currentInputs())}\n`;
  } catch {
    return false;
  }
}

/**
 * Writes the bundle to `outfile` (default {@link BUNDLE}). Resolves to its size in bytes.
 *
 * @example
 * await bundleCli(); // packages/server/dist/bundle/accord.cjs
 */
export async function bundleCli(outfile = BUNDLE) {
  const { build } = await import('esbuild');
  const stamp = currentInputs();
  const result = await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20.18',
    external: EXTERNAL,
    // External packages imported with `import()` are required instead, like the rest.
    supported: { 'dynamic-import': false },
    // The sources resolve packages with createRequire(import.meta.url).
    define: { 'import.meta.url': '__accordBundleUrl' },
    banner: { js: "const __accordBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [lazyBuiltins],
    metafile: true,
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: true,
    logLevel: 'warning',
  });
  mkdirSync(new URL('.', `file://${outfile}`), { recursive: true });
  // The code cache of the previous bundle (see bin/accord.js) would only be rejected.
  rmSync(`${outfile}.v8cache`, { force: true });
  writeFileSync(new URL('inputs.json', `file://${outfile}`), `${JSON.stringify(stamp)}\n`);
  return Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const bytes = await bundleCli();
  const size = (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `accord: bundled the CLI into ${relative(root, BUNDLE)} (${size} MB, ${Date.now() - started} ms)`,
  );
}
