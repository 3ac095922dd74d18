/**
 * The web dashboard in a real browser (Debian's chromium through playwright-core) against
 * a real coordinator process and a real HTTP participant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { waitFor } from '@accord/testkit';
import { ADMIN_TOKEN, BrowserWorld, chromiumMissing } from './browser-world.js';

const skip = chromiumMissing();
if (skip) console.log(`# skipping the browser tests: ${skip}`);

describe('the web dashboard in chromium', { skip: skip ?? false }, () => {
  const world = new BrowserWorld();
  let page: Page;

  before(async () => {
    await world.start();
    await world.saga('ui-ok-1', '/ok');
    await world.saga('ui-fail-1', '/refuse');
    // Refused, and the compensation fails past its budget of 2 attempts: parked.
    await world.saga('ui-park-1', '/refuse', '/flaky');
    await waitFor(
      async () => {
        const res = await world.api('GET', '/v1/transactions?parked=true');
        const page = (await res.json()) as { items: { gid: string }[] };
        return page.items.some((tx) => tx.gid === 'ui-park-1');
      },
      { timeoutMs: 60_000, what: 'ui-park-1 to park' },
    );
    page = await world.page();
  });
  after(() => world.stop());

  it('signs in with a token and shows the overview', async () => {
    const res = await page.goto(`${world.coordinator.url}/`);
    assert.equal(new URL(page.url()).pathname, '/ui/', 'redirected to /ui/');
    assert.ok(res, 'the page answered');
    await page.getByLabel('Token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText('signed in').or(page.getByText('(admin)')).first().waitFor();
    await page.locator('.chart canvas').first().waitFor();
    await world.screenshot(page, 'overview', true);
  });

  it('finds a failed saga by filter and opens its timeline', async () => {
    await page.getByRole('link', { name: 'Transactions' }).click();
    await page.getByRole('link', { name: 'ui-ok-1' }).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByLabel('Mode').selectOption('saga');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // The unfiltered page lists ui-fail-1 too: wait for the filtered answer to replace it.
    await page.getByRole('link', { name: 'ui-ok-1' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'ui-fail-1' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'ui-ok-1' }).count(), 0, 'filtered out');
    await world.screenshot(page, 'transactions', true);
    await page.getByRole('link', { name: 'ui-fail-1' }).click();
    const timeline = page.getByRole('list', { name: 'Branch timeline' });
    await timeline.getByRole('cell', { name: '409', exact: true }).waitFor();
    await world.screenshot(page, 'transaction-detail', true);
  });

  it('retries a parked transaction and watches it finish', async () => {
    await page.getByRole('link', { name: 'Parked & stuck' }).click();
    await page.getByRole('link', { name: 'ui-park-1' }).click();
    await page
      .getByRole('heading', { name: /ui-park-1/ })
      .getByText('parked')
      .waitFor();
    await world.screenshot(page, 'parked', true);
    world.participant.healed = true;
    await page.getByRole('button', { name: 'Retry now' }).click();
    await page
      .getByRole('heading', { name: /ui-park-1/ })
      .getByText('failed')
      .waitFor({ timeout: 30_000 });
  });

  it('shows notifications, participants and health', async () => {
    for (const [link, heading, name] of [
      ['Notifications', 'Notifications', 'notifications'],
      ['Participants', 'Participants', 'participants'],
      ['Health', 'Health', 'health'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await world.screenshot(page, name, name === 'health');
    }
    await page.getByText('(this one)').waitFor();
  });

  it('answers with a Content-Security-Policy and logs no console error', async () => {
    const res = await fetch(`${world.coordinator.url}/ui/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.deepEqual(world.consoleErrors, []);
  });

  it('pauses a participant, sees its calls held, resumes', async () => {
    const host = new URL(world.participant.url).host;
    await page.getByRole('link', { name: 'Participants', exact: true }).click();
    await world.saga('ui-warm-1', '/ok');
    await page.getByLabel('Reason for pause or resume').fill('maintenance window');
    await page.getByRole('button', { name: `Pause ${host}` }).click();
    await page.getByText('paused by').waitFor();
    const before = world.participant.calls.length;
    await world.saga('ui-held-1', '/ok');
    await page.getByRole('cell', { name: /paused by/ }).waitFor();
    assert.equal(world.participant.calls.length, before, 'no call went out while paused');
    await page.getByRole('button', { name: `Resume ${host}` }).click();
    await waitFor(
      async () => {
        const res = await world.api('GET', '/v1/transactions/ui-held-1');
        return (
          ((await res.json()) as { transaction: { status: string } }).transaction.status ===
          'succeeded'
        );
      },
      { timeoutMs: 30_000, what: 'the held saga to finish after resume' },
    );
  });

  it('bulk-resolves after a dry run', async () => {
    world.participant.healed = false;
    await world.saga('ui-bulk-1', '/refuse', '/flaky');
    await world.saga('ui-bulk-2', '/refuse', '/flaky');
    await page.goto(`${world.coordinator.url}/ui/#/parked?gidPrefix=ui-bulk-`);
    await page.getByRole('link', { name: 'ui-bulk-2' }).waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: 'ui-bulk-1' }).waitFor({ timeout: 60_000 });
    const bulk = page.getByRole('form', { name: 'Bulk action' });
    await bulk.getByLabel('Action').selectOption('resolve');
    await bulk.getByLabel('Reason').fill('settled by hand with the bank');
    await bulk.getByRole('button', { name: 'Count matches (dry run)' }).click();
    await page.getByText('2 transaction(s) match').waitFor();
    await page.getByRole('button', { name: 'Yes, resolve 2' }).click();
    await page.getByText('Applied to 2').waitFor();
  });
});
