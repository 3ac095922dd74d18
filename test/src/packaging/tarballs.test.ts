/**
 * The packages as a user gets them: the four tarballs are packed, installed into an empty
 * project outside the repository, the README's SDK tour is type-checked there (strict,
 * NodeNext) and run against a coordinator started through the installed `accord` bin.
 * Registry dependencies come from the npm registry (or npm's cache); without a reachable
 * registry the suite skips.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run, startCoordinator, type Coordinator } from './processes.js';
import { readmeTour, tourTsconfig } from './readme-tour.js';
import { undeclaredImports } from './shipped-imports.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['core', 'protocol', 'client', 'server'] as const;
const ENTRY_POINTS = ['', '/participant', '/barrier', '/xa', '/outbox'];
const MINUTE = 60_000;

interface PackedFile {
  readonly path: string;
}
interface Packed {
  readonly name: string;
  readonly filename: string;
  readonly files: readonly PackedFile[];
}

function versionOf(name: string): string {
  const json = readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8');
  return (JSON.parse(json) as { version: string }).version;
}

/**
 * Packed files under dist/ that no shipped source explains: each must be the output
 * (`.js`, `.d.ts` or their maps) of a `src/` file that is not a test.
 */
function withoutShippedSource(folder: string, paths: readonly string[]): string[] {
  return paths.filter((path) => {
    if (!path.startsWith('dist/')) return false;
    const source = /^dist\/(.+?)(\.d\.ts|\.js)(\.map)?$/.exec(path)?.[1];
    return (
      source === undefined ||
      source.endsWith('.test') ||
      !existsSync(join(folder, 'src', `${source}.ts`))
    );
  });
}

async function registryReachable(): Promise<boolean> {
  const ping = await run('npm', ['ping'], { cwd: tmpdir(), timeoutMs: 30_000, allowFailure: true });
  return ping.code === 0;
}

const reachable = await registryReachable();

describe(
  'packed tarballs, installed as a user would',
  { skip: reachable ? false : 'npm cannot reach the registry' },
  () => {
    const work = mkdtempSync(join(tmpdir(), 'accord-packaging-'));
    const tarballs = join(work, 'tarballs');
    const project = join(work, 'service');
    let packed: Packed[] = [];
    let coordinator: Coordinator | undefined;

    before(
      async () => {
        mkdirSync(tarballs);
        const pack = await run(
          'npm',
          [
            'pack',
            ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`]),
            '--pack-destination',
            tarballs,
            '--json',
            '--ignore-scripts',
          ],
          { cwd: ROOT, timeoutMs: MINUTE },
        );
        packed = JSON.parse(pack.output.slice(pack.output.indexOf('['))) as Packed[];
      },
      { timeout: 2 * MINUTE },
    );

    after(async () => {
      await coordinator?.kill();
      rmSync(work, { recursive: true, force: true });
    });

    test('each tarball holds only shipped code, importing only what it declares', () => {
      assert.deepEqual(
        packed.map((p) => p.name),
        PACKAGES.map((p) => `@accord/${p}`),
      );
      for (const { name, files } of packed) {
        const paths = files.map((f) => f.path);
        const testOnly = paths.filter((p) =>
          /\.test\.|\.test-support\.|(^|\/)test-support\/|\.tsbuildinfo$/.test(p),
        );
        assert.deepEqual(testOnly, [], `${name} ships test code`);
        assert.ok(paths.includes('dist/index.js') && paths.includes('dist/index.d.ts'), name);
        const folder = join(ROOT, 'packages', name.replace('@accord/', ''));
        assert.deepEqual(withoutShippedSource(folder, paths), [], `${name} ships stray files`);
        assert.deepEqual(
          undeclaredImports(folder, paths),
          [],
          `${name} imports undeclared packages`,
        );
      }
      const server = packed.find((p) => p.name === '@accord/server');
      assert.ok(
        server?.files.some((f) => f.path === 'bin/accord.js'),
        'the accord bin is packed',
      );
    });

    test(
      'install into an empty project, type-check the README tour, run it against accord serve',
      { timeout: 4 * MINUTE },
      async () => {
        mkdirSync(project);
        writeFileSync(
          join(project, 'package.json'),
          JSON.stringify({ name: 'a-service', private: true, type: 'module' }, null, 2),
        );
        // Install scripts are skipped: better-sqlite3's would download a prebuilt binary
        // (or compile SQLite for minutes). The repository's own install built that binary for
        // this Node version; the same version's binary is copied in below.
        await run(
          'npm',
          [
            'install',
            '--no-audit',
            '--no-fund',
            '--prefer-offline',
            '--ignore-scripts',
            ...packed.map((p) => join(tarballs, p.filename)),
            `typescript@${versionOf('typescript')}`,
            `@types/node@${versionOf('@types/node')}`,
          ],
          { cwd: project, timeoutMs: 3 * MINUTE },
        );
        const sqlite = 'node_modules/better-sqlite3';
        const binding = join(sqlite, 'build', 'Release', 'better_sqlite3.node');
        if (!existsSync(join(project, binding))) {
          const installed = JSON.parse(
            readFileSync(join(project, sqlite, 'package.json'), 'utf8'),
          ) as { version: string };
          if (
            installed.version === versionOf('better-sqlite3') &&
            existsSync(join(ROOT, binding))
          ) {
            mkdirSync(join(project, sqlite, 'build', 'Release'), { recursive: true });
            copyFileSync(join(ROOT, binding), join(project, binding));
          } else {
            await run('npm', ['rebuild', 'better-sqlite3'], {
              cwd: project,
              timeoutMs: 4 * MINUTE,
            });
          }
        }

        // Every entry point resolves at run time, and the errors come from @accord/client.
        const probe = ENTRY_POINTS.map((e) => `await import('@accord/client${e}');`).join(' ');
        const check = await run(
          'node',
          [
            '--input-type=module',
            '-e',
            `${probe} const m = await import('@accord/client'); ` +
              `const e = new m.AccordError('GID_CONFLICT', 'x'); ` +
              `console.log(m.isAccordError(e), e.retryable, typeof m.ERROR_CODES.NOT_FOUND);`,
          ],
          { cwd: project, timeoutMs: 30_000 },
        );
        assert.equal(check.output.trim(), 'true false object');

        writeFileSync(join(project, 'tour.ts'), readmeTour(join(ROOT, 'README.md')));
        writeFileSync(join(project, 'tsconfig.json'), tourTsconfig());
        await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], {
          cwd: project,
          timeoutMs: MINUTE,
        });

        coordinator = await startCoordinator(join(project, 'node_modules', '.bin', 'accord'), {
          cwd: project,
          dataDir: join(work, 'data'),
          timeoutMs: 30_000,
        });
        const env = { PATH: process.env['PATH'], ACCORD_URL: coordinator.url };
        const tour = await run(process.execPath, ['dist/tour.js'], {
          cwd: project,
          env,
          timeoutMs: MINUTE,
        });
        assert.match(tour.output, /order-\d+ succeeded/);
        assert.match(tour.output, /GID_CONFLICT false/);
        assert.match(tour.output, /bank-b action deposit \{ account: 'B', amount: 100 \}/);

        const list = await run(
          join(project, 'node_modules', '.bin', 'accord'),
          ['tx', 'list', '--json'],
          {
            cwd: project,
            env,
            timeoutMs: 30_000,
          },
        );
        const page = JSON.parse(list.output) as { items: { gid: string; status: string }[] };
        assert.equal(page.items.length, 1);
        assert.equal(page.items[0]?.status, 'succeeded');
        await coordinator.kill();
      },
    );
  },
);
