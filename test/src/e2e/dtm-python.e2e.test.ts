/**
 * A DTM client in another language: a Python script using only its standard library runs
 * a saga and a tcc against a coordinator process through the DTM-compatible API.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { servicesRequired, tempDir } from '@accord/testkit';
import { CoordinatorProcess, FAST_ENV } from '../support/coordinator-process.js';

const SCRIPT = fileURLToPath(new URL('../../src/e2e/dtm-python/dtm_client.py', import.meta.url));

function pythonVersion(): string | null {
  const run = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : null;
}

const python = pythonVersion();
if (python === null && servicesRequired()) {
  throw new Error('ACCORD_REQUIRE_SERVICES=1 but python3 is not installed');
}

describe(
  'a Python DTM client (urllib only)',
  { skip: python === null && 'python3 is not installed' },
  () => {
    const dir = tempDir('accord-dtm-py-');
    const coordinator = new CoordinatorProcess({ dataDir: dir.path, env: FAST_ENV });

    before(async () => {
      await coordinator.start();
    });
    after(async () => {
      await coordinator.stop();
      dir.remove();
    });

    it('runs a saga and a tcc by changing only the server URL', () => {
      const run = spawnSync('python3', [SCRIPT], {
        encoding: 'utf8',
        env: { ...process.env, DTM_SERVER: `${coordinator.url}/api/dtmsvr` },
        timeout: 120_000,
      });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /ok tcc confirmed both branches/);
    });
  },
);
