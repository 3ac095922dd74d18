/**
 * A parked transaction for operator blocks (`accord tx retry …`, `accord tx resolve …`):
 * a saga whose action is refused and whose compensation keeps failing, with one attempt
 * allowed, so the coordinator parks it at once.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uniqueName } from '@accord/testkit';

/** How long to wait for the coordinator to park the saga. */
const PARK_TIMEOUT_MS = 20_000;

/**
 * Creates a parked saga on the coordinator at `coordinatorUrl` and resolves to its gid.
 * The participant behind it (refusing the action, failing the compensation) stays up
 * until `close()`, so a retry meets the same failure and parks the saga again.
 */
export async function createParkedTransaction(
  coordinatorUrl: string,
): Promise<{ gid: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    res.statusCode = req.url === '/charge' ? 409 : 500;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  try {
    const participant = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const gid = uniqueName('docs-parked').replaceAll('_', '-');
    const created = await fetch(new URL('/v1/transactions', coordinatorUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        gid,
        mode: 'saga',
        steps: [
          { id: 'charge', action: `${participant}/charge`, compensate: `${participant}/refund` },
        ],
        options: { retry: { maxAttempts: 1, firstDelayMs: 50 } },
      }),
    });
    if (!created.ok)
      throw new Error(`creating ${gid} answered ${created.status}: ${await created.text()}`);
    const deadline = Date.now() + PARK_TIMEOUT_MS;
    for (;;) {
      const answer = await fetch(new URL(`/v1/transactions/${gid}`, coordinatorUrl));
      const { transaction } = (await answer.json()) as { transaction?: { parked?: boolean } };
      if (transaction?.parked) return { gid, close };
      if (Date.now() > deadline)
        throw new Error(`${gid} was not parked within ${PARK_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await close();
    throw error;
  }
}
