/**
 * The shipped operations kit: the alert rules pass `promtool check rules`, and every
 * metric the Grafana dashboard and the rules name is one a running coordinator exports.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { servicesRequired, tempDir } from '@accord/testkit';
import { CoordinatorProcess } from '../support/coordinator-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULES = `${ROOT}deploy/prometheus/alerts.yml`;
const DASHBOARD = `${ROOT}deploy/grafana/accord.json`;

/** promtool as scripts/install-promtool.sh unpacked it, else the one on the PATH. */
function promtoolPath(): string {
  const unpacked = `${ROOT}.tools/prometheus/usr/bin/promtool`;
  return existsSync(unpacked) ? unpacked : 'promtool';
}

/** The `accord_*` metric names an expression text mentions. */
function metricNames(text: string): Set<string> {
  return new Set(text.match(/\baccord_[a-z0-9_]+/g) ?? []);
}

/** Every expression of the dashboard's panels. */
function dashboardExpressions(): string {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
}

describe('shipped Grafana dashboard and Prometheus rules', () => {
  const dir = tempDir('accord-ops-kit-');
  const coordinator = new CoordinatorProcess({ dataDir: dir.path });
  let exported: Set<string>;

  before(async () => {
    await coordinator.start();
    const text = await (await fetch(`${coordinator.url}/metrics`)).text();
    exported = new Set();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exported.add(name!);
      if (type === 'histogram' || type === 'summary') {
        for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name!}${suffix}`);
      }
    }
  });

  after(async () => {
    await coordinator.kill9();
    dir.remove();
  });

  for (const [what, text] of [
    ['the dashboard', () => dashboardExpressions()],
    ['the alert rules', () => readFileSync(RULES, 'utf8')],
  ] as const) {
    it(`names only metrics the server exports: ${what}`, () => {
      const names = metricNames(text());
      assert.ok(names.size > 3, `${what} names metrics`);
      const missing = [...names].filter((name) => !exported.has(name));
      assert.deepEqual(missing, [], `${what} names metrics the server does not export`);
    });
  }

  it('the alert rules pass promtool check rules', (t) => {
    const promtool = promtoolPath();
    const probe = spawnSync(promtool, ['--version'], { encoding: 'utf8' });
    if (probe.error !== undefined) {
      const line = 'promtool not found (run scripts/install-promtool.sh)';
      if (servicesRequired()) throw new Error(`ACCORD_REQUIRE_SERVICES=1 but ${line}`);
      t.skip(line);
      return;
    }
    const check = spawnSync(promtool, ['check', 'rules', RULES], { encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}\n${check.stderr}`);
    assert.match(check.stdout, /SUCCESS: 6 rules found/);
  });
});
