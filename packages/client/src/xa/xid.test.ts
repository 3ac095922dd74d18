import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCORD_FORMAT_ID,
  mysqlXidSql,
  parseMysqlXid,
  parsePgXid,
  pgXid,
  PG_XID_MAX_BYTES,
} from './xid.js';

/** The `XA RECOVER` row MariaDB would show for an xid. */
function recoverRow(gid: string, branchId: string, formatID = ACCORD_FORMAT_ID) {
  const gtrid = Buffer.from(gid, 'utf8');
  const bqual = Buffer.from(branchId, 'utf8');
  return {
    formatID,
    gtrid_length: gtrid.length,
    bqual_length: bqual.length,
    data: Buffer.concat([gtrid, bqual]),
  };
}

describe('PostgreSQL xids', () => {
  test('plain ids stay readable; anything else is percent-encoded', () => {
    assert.equal(pgXid({ gid: 'order-42', branchId: '01' }), 'accord:order-42:01');
    assert.equal(pgXid({ gid: '7', branchId: 'b' }, 'shop_eu'), 'shop_eu:7:b');
    assert.equal(
      pgXid({ gid: "it's: 100%", branchId: 'ä\\' }),
      'accord:it%27s%3A%20100%25:%C3%A4%5C',
    );
  });

  test('round trips, and only canonical Accord spellings parse', () => {
    for (const key of [
      { gid: 'g', branchId: '01' },
      { gid: "a'b:c%d e", branchId: '日本/語' },
      { gid: '😀', branchId: '-._' },
    ]) {
      assert.deepEqual(parsePgXid(pgXid(key)), key);
      assert.deepEqual(parsePgXid(pgXid(key, 'p1'), 'p1'), key);
      assert.equal(parsePgXid(pgXid(key, 'p1')), undefined, 'other prefix');
    }
    for (const foreign of [
      'someone-else',
      'accord:only-one-part',
      'accord:a:b:c',
      'accord::01',
      'accord:%41:01', // 'A' written encoded
      'accord:%c3%a4:01', // lowercase hex
      'accord:%FF:01', // not UTF-8
      "accord:a'b:01",
      'accordx:a:01',
    ]) {
      assert.equal(parsePgXid(foreign), undefined, foreign);
    }
  });

  test('the length limit names the longer field', () => {
    const room = PG_XID_MAX_BYTES - 'accord:'.length - ':01'.length;
    assert.equal(pgXid({ gid: 'g'.repeat(room), branchId: '01' }).length, PG_XID_MAX_BYTES);
    assert.throws(() => pgXid({ gid: 'g'.repeat(room + 1), branchId: '01' }), {
      code: 'INVALID_REQUEST',
      message: /^gid: too long .* would be 200 bytes, the limit is 199/,
    });
    assert.throws(() => pgXid({ gid: 'g', branchId: ' '.repeat(70) }), {
      message: /^branchId: too long/,
    });
  });

  test('empty parts and bad prefixes are refused', () => {
    assert.throws(
      () => pgXid({ gid: '', branchId: '' }),
      (error: unknown) => {
        const issues = (error as { issues: { path: string }[] }).issues;
        assert.deepEqual(
          issues.map((i) => i.path),
          ['gid', 'branchId'],
        );
        return true;
      },
    );
    for (const prefix of ['', 'a:b', "x'", 'p'.repeat(33)]) {
      assert.throws(() => pgXid({ gid: 'g', branchId: '1' }, prefix), { message: /^prefix:/ });
    }
  });
});

describe('MySQL/MariaDB xids', () => {
  test('hex literals with the format id', () => {
    assert.equal(mysqlXidSql({ gid: 'g1', branchId: '01' }), "X'6731',X'3031',1094931012");
    assert.equal(mysqlXidSql({ gid: "'", branchId: 'ä' }, 7), "X'27',X'c3a4',7");
  });

  test('limits are 64 bytes each, counted in UTF-8', () => {
    assert.ok(mysqlXidSql({ gid: 'g'.repeat(64), branchId: 'b'.repeat(64) }));
    assert.throws(() => mysqlXidSql({ gid: 'é'.repeat(33), branchId: '01' }), {
      code: 'INVALID_REQUEST',
      message: 'gid: must be at most 64 bytes (UTF-8) to fit a MySQL/MariaDB xid; it is 66',
    });
    assert.throws(() => mysqlXidSql({ gid: 'g', branchId: 'b'.repeat(65) }), {
      message: /^branchId: must be at most 64 bytes/,
    });
    for (const formatId of [-1, 1.5, 2 ** 31]) {
      assert.throws(() => mysqlXidSql({ gid: 'g', branchId: 'b' }, formatId), {
        message: /^formatId:/,
      });
    }
  });

  test('XA RECOVER rows parse back; other format ids and broken rows do not', () => {
    const key = { gid: "o'rder:ä", branchId: '02' };
    assert.deepEqual(parseMysqlXid(recoverRow(key.gid, key.branchId)), key);
    assert.deepEqual(parseMysqlXid(recoverRow('g', 'b', 9), 9), { gid: 'g', branchId: 'b' });
    assert.equal(parseMysqlXid(recoverRow('g', 'b', 9)), undefined);
    assert.equal(parseMysqlXid({ ...recoverRow('g', 'b'), gtrid_length: 5 }), undefined);
    assert.equal(parseMysqlXid({ ...recoverRow('g', 'b'), data: null }), undefined);
    assert.equal(
      parseMysqlXid({ ...recoverRow('gg', 'b'), data: Buffer.from([0xff, 0xfe, 0x41]) }),
      undefined,
    );
  });
});
