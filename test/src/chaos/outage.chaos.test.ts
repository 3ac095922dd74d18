/**
 * The store goes away under load (every connection cut, new ones refused) and comes
 * back: readiness turns false, creates are refused with 503 STORE_UNAVAILABLE, work
 * pauses, then resumes; nothing the coordinator acknowledged is lost.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sagaTransfer } from '@accord/example-bank-transfer';
import { SERVICES, TcpProxy, requireService, waitFor } from '@accord/testkit';
import type { WorldStore } from '../support/bank-world.js';
import { allSettled, checkInvariants, startWorld, survivor } from '../support/bank-world.js';

const OPENING = 5_000;

for (const store of ['postgres', 'mariadb', 'redis'] as const satisfies readonly WorldStore[]) {
  describe(`store outage on ${store}`, async () => {
    const skip = await requireService(store);

    it(
      'pauses while the store is unreachable and resumes without losing anything',
      { skip: skip ?? false },
      async () => {
        const target = new URL(SERVICES[store].url);
        const proxy = await TcpProxy.start(target.hostname, Number(target.port));
        const world = await startWorld({
          store,
          openingBalance: OPENING,
          storeUrl: (url) => proxy.rewrite(url),
          env: { ACCORD_PREPARED_TIMEOUT_MS: '2000' },
        });
        const acknowledged = new Map<string, string>();
        let refused = 0;
        let phase: 'before' | 'outage' | 'after' = 'before';
        const ackedIn = { before: 0, outage: 0, after: 0 };
        let running = true;
        const load = (async () => {
          for (let i = 0; running; i++) {
            const gid = `outage-${store}-${i}`;
            try {
              const tx = await sagaTransfer(world.accord, {
                gid,
                from: i % 2 ? world.alice : world.bob,
                to: i % 2 ? world.bob : world.alice,
                amount: 1 + (i % 9),
              });
              acknowledged.set(gid, tx.status);
              ackedIn[phase] += 1;
            } catch {
              refused += 1;
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        })();
        // Wait for work done on each side of the outage rather than for a fixed time,
        // which a loaded machine may spend without finishing a single transfer.
        const ackedAtLeast = (count: number, side: 'before' | 'after') =>
          waitFor(() => ackedIn[side] >= count, {
            timeoutMs: 60_000,
            what: `${count} transfers acknowledged ${side} the outage`,
          });
        try {
          await ackedAtLeast(3, 'before');
          proxy.cut();
          phase = 'outage';
          const base = world.coordinator.url;
          await waitFor(async () => (await fetch(`${base}/readyz`)).status === 503, {
            timeoutMs: 60_000,
            what: 'readyz to report the outage',
          });
          const create = await fetch(`${base}/v1/transactions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              mode: 'saga',
              steps: [{ action: `${world.alice.url}/saga/withdraw` }],
            }),
          });
          assert.equal(create.status, 503);
          assert.equal(
            ((await create.json()) as { error: { code: string } }).error.code,
            'STORE_UNAVAILABLE',
          );
          await new Promise((r) => setTimeout(r, 2_500));
          proxy.restore();
          phase = 'after';
          await waitFor(async () => (await fetch(`${base}/readyz`)).ok, {
            timeoutMs: 60_000,
            what: 'readyz to recover',
          });
          await ackedAtLeast(3, 'after');
          running = false;
          await load;
          await allSettled(world);
          for (const [gid, status] of acknowledged) {
            const { transaction } = await survivor(world).query(gid);
            if (status === 'succeeded' || status === 'failed')
              assert.equal(transaction.status, status, gid);
            else assert.ok(['succeeded', 'failed'].includes(transaction.status), `${gid} finished`);
          }
          assert.deepEqual(await checkInvariants(world, 2 * OPENING), []);
          console.log(
            `# ${store}: ${acknowledged.size} transfers acknowledged (${ackedIn.before} before the outage, ${ackedIn.outage} during, ${ackedIn.after} after; all found and terminal), ${refused} refused or cut off`,
          );
          assert.ok(
            ackedIn.before > 0 && ackedIn.after > 0,
            'the load ran on both sides of the outage',
          );
        } finally {
          running = false;
          proxy.restore();
          await load.catch(() => undefined);
          await world.close();
          await proxy.close();
        }
      },
    );
  });
}
