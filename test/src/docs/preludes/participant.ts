/**
 * Context of the README's participant-handler block: the business function `withdraw`.
 * The block starts its server on the port standing in for 8081; the check then calls it
 * as a coordinator would, once within the limit (2xx) and once over it (409).
 */
import { canConnect } from '../can-connect.js';
import { afterBlock } from '../prelude-hooks.js';
import { docsSetting } from '../prelude-env.js';
import { eventually } from '../prelude-common.js';

const port = Number(docsSetting('participantPorts').split(',')[0]);

const withdrawals: string[] = [];

/** The participant's local transaction (here: recorded). */
export function withdraw(
  gid: string,
  body: { account: string; amount: number },
): Promise<{ ok: true }> {
  withdrawals.push(`${gid} ${body.account} ${body.amount}`);
  return Promise.resolve({ ok: true });
}

async function call(gid: string, amount: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/withdraw`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'accord-gid': gid,
      'accord-branch': 'withdraw',
      'accord-op': 'action',
      'accord-mode': 'saga',
    },
    body: JSON.stringify({ account: 'A', amount }),
  });
  await response.arrayBuffer();
  return response.status;
}

afterBlock(async () => {
  await eventually(() => canConnect(port), `the block's server listens on ${port}`);
  const ok = await call('docs-1', 100);
  const refused = await call('docs-2', 5000);
  if (ok !== 200 || refused !== 409) {
    throw new Error(`answers were ${ok} and ${refused}, expected 200 and 409`);
  }
  if (withdrawals.join('|') !== 'docs-1 A 100')
    throw new Error(`withdrawals: ${withdrawals.join('|')}`);
});
