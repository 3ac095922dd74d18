import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFields, formatTable } from './table.js';

interface Row {
  gid: string;
  status: string;
  note: string;
}

const columns = [
  { header: 'GID', cell: (r: Row) => r.gid },
  { header: 'STATUS', cell: (r: Row) => r.status },
  { header: 'NOTE', cell: (r: Row) => r.note, maxWidth: 10 },
];

describe('formatTable', () => {
  it('pads every column but the last to its widest cell', () => {
    const text = formatTable(columns, [
      { gid: 'order-1', status: 'failed', note: 'x' },
      { gid: 'g2', status: 'succeeded', note: '' },
    ]);
    assert.equal(
      text,
      ['GID      STATUS     NOTE', 'order-1  failed     x', 'g2       succeeded'].join('\n'),
    );
  });

  it('cuts long cells with an ellipsis and flattens line breaks', () => {
    const text = formatTable(columns, [{ gid: 'g', status: 's', note: 'a\nb c d e f g h' }]);
    assert.equal(text.split('\n')[1], 'g    s       a b c d e…');
  });

  it('prints only the header when there are no rows', () => {
    assert.equal(formatTable(columns, []), 'GID  STATUS  NOTE');
  });
});

describe('formatFields', () => {
  it('aligns values and skips undefined ones', () => {
    assert.equal(
      formatFields([
        ['gid', 'g1'],
        ['reason', undefined],
        ['status', 'failed'],
      ]),
      'gid:    g1\nstatus: failed',
    );
  });
});
