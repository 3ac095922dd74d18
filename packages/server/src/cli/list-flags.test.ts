import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterFromFlags, filterQuery, parseCountFlag, parseTimeFlag } from './list-flags.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

describe('CLI list flags', () => {
  it('reads durations as that long ago, and ISO times as given', () => {
    assert.equal(parseTimeFlag('90s', '--since', NOW), '2026-05-01T11:58:30.000Z');
    assert.equal(parseTimeFlag('15m', '--since', NOW), '2026-05-01T11:45:00.000Z');
    assert.equal(parseTimeFlag('1h', '--since', NOW), '2026-05-01T11:00:00.000Z');
    assert.equal(parseTimeFlag('2d', '--until', NOW), '2026-04-29T12:00:00.000Z');
    assert.equal(
      parseTimeFlag('2026-04-01T00:00:00+02:00', '--until', NOW),
      '2026-03-31T22:00:00.000Z',
    );
  });

  it('names the flag and the accepted forms when a time is not one', () => {
    for (const bad of ['yesterday', '15', '1w', '-1h', '2026-13-45']) {
      assert.throws(
        () => parseTimeFlag(bad, '--since', NOW),
        (error: Error) => {
          assert.equal(error.name, 'UsageError');
          assert.match(
            error.message,
            new RegExp(`^--since "${bad}": expected an ISO time .* or a duration`),
          );
          return true;
        },
      );
    }
  });

  it('maps every filter flag to its query field, labels repeated', () => {
    const filter = filterFromFlags(
      {
        status: 'failed',
        mode: 'saga',
        parked: true,
        paused: true,
        stuck: true,
        'gid-prefix': 'order-',
        label: ['team=pay', 'order=42'],
        since: '1h',
      },
      NOW,
    );
    assert.equal(
      filterQuery(filter).toString(),
      'status=failed&mode=saga&parked=true&paused=true&stuck=true&gidPrefix=order-' +
        '&label=team%3Dpay&label=order%3D42&since=2026-05-01T11%3A00%3A00.000Z',
    );
    assert.deepEqual(filterFromFlags({ parked: false }, NOW), {});
  });

  it('refuses a label that is not key=value, and a bad count, naming the flag', () => {
    assert.throws(
      () => filterFromFlags({ label: ['order'] }, NOW),
      /^UsageError: --label "order": expected key=value/,
    );
    assert.throws(
      () => parseCountFlag('ten', '--limit', 500),
      /--limit "ten": expected a whole number from 1 to 500/,
    );
    assert.throws(() => parseCountFlag('501', '--limit', 500), /--limit "501"/);
    assert.equal(parseCountFlag('20', '--limit', 500), 20);
  });
});
