/**
 * What the browser scenarios run against: a real coordinator process (tokens on, fast
 * retries), an HTTP participant whose answers the test steers, and Debian's chromium
 * driven by playwright-core. Screenshots go to test/artifacts/screenshots (git-ignored),
 * and, with ACCORD_DOC_IMAGES=1, the ones docs/operations.md shows to docs/images.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { servicesRequired, tempDir } from '@accord/testkit';
import { CoordinatorProcess } from '../support/coordinator-process.js';

/** Debian's chromium, the only browser the tests drive. */
export const CHROMIUM = '/usr/bin/chromium';
export const ADMIN_TOKEN = 'admin-token-for-the-browser-tests';
const CLIENT_TOKEN = 'client-token-for-the-browser-tests';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test', 'artifacts', 'screenshots');
const DOC_IMAGES = join(ROOT, 'docs', 'images');

/** Why the suite cannot run (chromium absent), or null; throws when services are required. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const line = `chromium unavailable (no ${CHROMIUM}); run scripts/setup-chromium.sh as root`;
  if (servicesRequired()) throw new Error(`ACCORD_REQUIRE_SERVICES=1 but ${line}`);
  return line;
}

/** A participant answering by path: `/ok` 200, `/refuse` 409, `/flaky` 500 until healed. */
export class Participant {
  healed = false;
  readonly calls: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      this.calls.push(req.url ?? '');
      const status = req.url === '/refuse' ? 409 : req.url === '/flaky' && !this.healed ? 500 : 200;
      res.writeHead(status).end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The coordinator, the participant and the browser, started and stopped together. */
export class BrowserWorld {
  readonly dir = tempDir('accord-browser-');
  readonly participant = new Participant();
  readonly coordinator = new CoordinatorProcess({
    dataDir: this.dir.path,
    env: {
      ACCORD_TOKEN: CLIENT_TOKEN,
      ACCORD_ADMIN_TOKEN: ADMIN_TOKEN,
      ACCORD_MAX_ATTEMPTS: '2',
    },
  });
  browser: Browser | undefined;
  /** Console errors and page errors seen, with where they came from. */
  readonly consoleErrors: string[] = [];

  async start(): Promise<void> {
    await this.participant.start();
    await this.coordinator.start();
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    await this.coordinator.stop().catch(() => undefined);
    await this.participant.stop().catch(() => undefined);
    this.dir.remove();
  }

  /** A new page that records console errors. */
  async page(): Promise<Page> {
    const page = await this.browser!.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => this.consoleErrors.push(`page error: ${error.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.consoleErrors.push(`${msg.text()} (${msg.location().url})`);
    });
    return page;
  }

  /** An API call with the admin token. */
  async api(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.coordinator.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
  }

  /** Creates a one-step saga whose action and compensation call the participant. */
  async saga(gid: string, action: string, compensate = '/ok'): Promise<void> {
    const res = await this.api('POST', '/v1/transactions', {
      gid,
      mode: 'saga',
      steps: [
        { action: this.participant.url + action, compensate: this.participant.url + compensate },
      ],
    });
    if (res.status !== 201) throw new Error(`creating ${gid}: ${res.status} ${await res.text()}`);
  }

  /** Saves a screenshot as a test artifact, and under docs/images when asked to. */
  async screenshot(page: Page, name: string, forDocs = false): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    if (forDocs && process.env['ACCORD_DOC_IMAGES'] === '1') {
      mkdirSync(DOC_IMAGES, { recursive: true });
      await page.screenshot({ path: join(DOC_IMAGES, `dashboard-${name}.png`) });
    }
  }
}
