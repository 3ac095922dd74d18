/** The log format of the real `accord` command: JSON lines by default, readable lines when asked. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, tempDir, waitFor } from '@accord/testkit';

const BIN = fileURLToPath(new URL('../../../bin/accord.js', import.meta.url));

/** Starts `accord serve`, waits until it listens, stops it with SIGTERM; its stdout lines. */
async function serveAndStop(env: Record<string, string>): Promise<string[]> {
  const dir = tempDir('accord-log-format-');
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      ...process.env,
      ACCORD_HOST: '127.0.0.1',
      ACCORD_PORT: String(port),
      ACCORD_DATA_DIR: dir.path,
      ACCORD_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await waitFor(
      () => stdout.includes('accord coordinator listening') || child.exitCode !== null,
      {
        timeoutMs: 90_000,
        what: 'the coordinator to listen',
      },
    );
    assert.equal(child.exitCode, null, `exited early: ${stderr}${stdout}`);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `exit after SIGTERM: ${stderr}${stdout}`);
    return stdout.split('\n').filter((line) => line.trim() !== '');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    dir.remove();
  }
}

describe('ACCORD_LOG_FORMAT', () => {
  it('writes readable lines with pretty: time, level and message, fields below, no JSON', async () => {
    const lines = await serveAndStop({ ACCORD_LOG_FORMAT: 'pretty' });
    const text = lines.join('\n');
    for (const line of lines) assert.doesNotMatch(line, /^\{/, `not JSON: ${line}`);
    // Not a terminal: no colour codes.
    assert.ok(!text.includes('\u001b['), 'no escape sequences');
    for (const expected of [
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: accord coordinator listening$/m,
      /^ {4}address: "http:\/\/127\.0\.0\.1:\d+"$/m,
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: shutting down$/m,
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: accord coordinator stopped$/m,
    ]) {
      assert.match(text, expected, text);
    }
  });

  it('writes one JSON object a line by default', async () => {
    const lines = await serveAndStop({});
    assert.ok(lines.length >= 3, lines.join('\n'));
    for (const line of lines) {
      const parsed = JSON.parse(line) as { service?: string; msg?: string };
      assert.equal(parsed.service, 'accord');
    }
    assert.ok(
      lines.some((l) => (JSON.parse(l) as { msg: string }).msg === 'accord coordinator stopped'),
    );
  });
});
