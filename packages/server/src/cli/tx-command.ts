/** `accord tx …`: operator commands against a running coordinator's API. */
import { parseArgs } from 'node:util';
import type { GlobalStatus, Mode } from '@accord/core';
import { AccordError } from '@accord/core';
import { AccordClient } from '@accord/client';
import { loadCliTarget } from '../config/config.js';

/** Runs one `accord tx` sub-command. */
export async function runTxCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      status: { type: 'string' },
      mode: { type: 'string' },
      parked: { type: 'boolean' },
      limit: { type: 'string' },
      reason: { type: 'string' },
    },
  });
  const gid = positionals[0];
  const needGid = () => {
    if (!gid) throw new Error(`accord tx ${sub ?? ''} needs a gid`);
    return gid;
  };
  const { url, token } = loadCliTarget();
  const accord = new AccordClient({ url, ...(token ? { token } : {}) });
  let result: unknown;
  try {
    switch (sub) {
      case 'list':
        // Filters are checked by the server, which names the bad one.
        result = await accord.list({
          ...(values.status ? { status: values.status as GlobalStatus } : {}),
          ...(values.mode ? { mode: values.mode as Mode } : {}),
          ...(values.parked ? { parked: true } : {}),
          ...(values.limit ? { limit: Number(values.limit) } : {}),
        });
        break;
      case 'show':
        result = await accord.query(needGid());
        break;
      case 'retry':
        result = { transaction: await accord.retry(needGid()) };
        break;
      case 'resolve':
        result = {
          transaction: await accord.resolve(needGid(), {
            status: values.status as 'succeeded' | 'failed',
            reason: values.reason ?? '',
          }),
        };
        break;
      default:
        throw new Error('accord tx: expected list, show, retry or resolve');
    }
  } catch (error) {
    if (error instanceof AccordError) throw new Error(`${error.code}: ${error.message}`);
    throw error;
  } finally {
    await accord.close();
  }
  console.log(JSON.stringify(result, null, 2));
}
