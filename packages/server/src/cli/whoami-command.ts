/** `accord whoami`: the name and role of the token the CLI sends. */
import type { WhoamiReply } from '@accord/core/schemas';
import { loadCliTarget } from '../config/config.js';
import { callApi } from './coordinator-api.js';
import { parseFlags } from './parse-flags.js';

/** Runs `accord whoami`. */
export async function runWhoamiCommand(args: string[]): Promise<void> {
  const { values } = parseFlags('accord whoami', args, { json: { type: 'boolean' } });
  const target = loadCliTarget();
  const me = await callApi<WhoamiReply>(target, 'GET', '/v1/whoami');
  console.log(
    values.json ? JSON.stringify(me, null, 2) : `${me.name} (${me.role}) at ${target.url}`,
  );
}
