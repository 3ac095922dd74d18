/**
 * Starts the raw baseline's relay (relay-server.ts) as a child process, on the CPU of the
 * system under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParticipantName } from './participants.js';
import type { Pinning } from './pinning.js';
import { startSystem, type SystemProcess } from './system-process.js';

const SCRIPT = fileURLToPath(new URL('./relay-server.js', import.meta.url));

/** A running relay in front of the participants at `urls`. */
export async function startRelay(
  urls: Record<ParticipantName, string>,
  pinning: Pinning,
): Promise<SystemProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'accord-bench-relay-'));
  try {
    const system = await startSystem({
      name: 'relay',
      script: SCRIPT,
      env: (port) => ({
        ...process.env,
        RELAY_PORT: String(port),
        RELAY_TARGET_A: `${urls.a}/action`,
        RELAY_TARGET_B: `${urls.b}/action`,
      }),
      cwd: dir,
      logFile: join(dir, 'relay.log'),
      pinning,
    });
    return {
      ...system,
      stop: async (options) => {
        await system.stop(options);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
