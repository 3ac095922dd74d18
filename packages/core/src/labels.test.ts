import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLabels, MAX_LABELS, parseLabelFilters } from './labels.js';

describe('checkLabels', () => {
  it('accepts short lower-case keys with printable values', () => {
    assert.deepEqual(checkLabels({ order: '42', 'team.pay-ments_2': 'Zürich west' }), []);
  });

  it('names each bad key or value under the path', () => {
    const issues = checkLabels({ Order: '42', empty: '', bell: 'a\u0007b' }, '/x');
    assert.deepEqual(
      issues.map((i) => i.path),
      ['/x/Order', '/x/empty', '/x/bell'],
    );
    assert.match(issues[0]?.message ?? '', /key must match/);
    assert.match(issues[1]?.message ?? '', /1 to 128 printable/);
  });

  it('refuses more than the allowed number of labels and over-long values', () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_LABELS + 1 }, (_, i) => [`k${i}`, 'v']),
    );
    assert.match(checkLabels(many)[0]?.message ?? '', /has 17 labels; at most 16/);
    assert.equal(checkLabels({ k: 'v'.repeat(129) }).length, 1);
    assert.equal(checkLabels({ k: 'v'.repeat(128) }).length, 0);
    assert.equal(checkLabels({ ['k'.repeat(64)]: 'v' }).length, 1);
  });
});

describe('parseLabelFilters', () => {
  it('builds one set; a value may contain "=" and a repeated pair is fine', () => {
    const parsed = parseLabelFilters(['order=42', 'expr=a=b', 'order=42'], '/label');
    assert.deepEqual(parsed, { labels: { order: '42', expr: 'a=b' }, issues: [] });
  });

  it('names the filter that is not key=value, or a key given two values', () => {
    const bad = parseLabelFilters(['order', '=x'], 'q/label');
    assert.deepEqual(
      bad.issues.map((i) => [i.path, i.message]),
      [
        ['q/label', '"order" must be written key=value'],
        ['q/label', '"=x" must be written key=value'],
      ],
    );
    const twice = parseLabelFilters(['a=1', 'a=2'], 'q/label');
    assert.match(twice.issues[0]?.message ?? '', /label "a" is given twice/);
  });

  it('checks the keys and values like checkLabels, at the filter path', () => {
    const parsed = parseLabelFilters(['Bad=1'], 'q/label');
    assert.equal(parsed.issues.length, 1);
    assert.equal(parsed.issues[0]?.path, 'q/label');
  });
});
