import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeGoals } from './goals.js';
import { parseOptions, UsageError } from './options.js';
import { parseCpuList } from './pinning.js';
import type { CellResult } from './report.js';
import { sumMetric } from './store-counters.js';

function cell(
  store: CellResult['store'],
  concurrency: number,
  throughput: number,
  p50: number,
  p99: number,
) {
  return {
    scenario: store ? 'accord' : 'raw',
    store,
    concurrency,
    throughput,
    latencyMs: { count: 1, mean: p50, p50, p90: p99, p99, p999: p99, max: p99 },
  } as unknown as CellResult;
}

describe('bench parts', () => {
  it('reads taskset CPU lists with ranges', () => {
    assert.deepEqual(parseCpuList(' 0,2-4\n'), [0, 2, 3, 4]);
    assert.deepEqual(parseCpuList('1'), [1]);
  });

  it('sums a counter over its labels and ignores metrics that share its prefix', () => {
    const text = [
      '# TYPE accord_store_commits_total counter',
      'accord_store_commits_total{store="sqlite"} 12',
      'accord_store_commits_total{store="other"} 3',
      'accord_store_commits_total_created 99',
    ].join('\n');
    assert.equal(sumMetric(text, 'accord_store_commits_total'), 15);
    assert.equal(sumMetric(text, 'accord_store_syncs_total'), null);
  });

  it('judges each goal against the raw cell of the same run', () => {
    const goals = judgeGoals(
      [
        cell(null, 64, 1000, 5, 10),
        cell('sqlite', 64, 400, 10, 30),
        cell('sqlite', 1, 300, 2.5, 4),
      ],
      null,
    );
    const byGoal = Object.fromEntries(goals.map((g) => [g.goal, g.met]));
    assert.equal(byGoal['c=64 throughput, SQLite, durable'], true);
    assert.equal(byGoal['c=64 p99, SQLite'], true);
    assert.equal(byGoal['c=1 p50, SQLite, durable'], false);
    assert.equal(byGoal['c=64 throughput, PostgreSQL'], null);
  });

  it('takes a store list and a soak count, and names a bad flag', () => {
    const options = parseOptions(['--store', 'sqlite,memory', '--soak', '5000']);
    assert.deepEqual(options?.stores, ['sqlite', 'memory']);
    assert.equal(options?.soakSagas, 5000);
    assert.equal(options?.storesDefaulted, false);
    assert.throws(() => parseOptions(['--store', 'sqlite,oracle']), UsageError);
    assert.throws(() => parseOptions(['--soak', '12']), /--soak takes a saga count/);
  });
});
