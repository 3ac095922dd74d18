import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { afterInserts, barrierIdOf, classifyExisting, originOf } from './decide.js';
import { barrierDdl, barrierSql } from './sql.js';

describe('barrier decisions', () => {
  test('origins: cancel undoes try, compensate undoes action, nothing else has one', () => {
    assert.equal(originOf('cancel'), 'try');
    assert.equal(originOf('compensate'), 'action');
    for (const op of ['try', 'action', 'confirm', 'check', 'msg', 'toString']) {
      assert.equal(originOf(op), undefined, op);
    }
  });

  test('after the inserts', () => {
    assert.equal(afterInserts(undefined, true), 'apply');
    assert.equal(afterInserts(false, true), 'apply');
    assert.equal(afterInserts(true, true), 'empty-compensation');
    assert.equal(afterInserts(undefined, false), 'inspect');
    assert.equal(afterInserts(false, false), 'inspect');
  });

  test('an existing row: duplicate when it is ours, hanging when a compensation wrote it', () => {
    assert.equal(classifyExisting('try', 'try'), 'duplicate');
    assert.equal(classifyExisting('cancel', 'cancel'), 'duplicate');
    assert.equal(classifyExisting('try', 'cancel'), 'hanging');
    assert.equal(classifyExisting('action', 'compensate'), 'hanging');
    assert.equal(classifyExisting('action', undefined), 'duplicate');
  });

  test('barrier ids', () => {
    assert.deepEqual([1, 2, 10, 100].map(barrierIdOf), ['01', '02', '10', '100']);
  });
});

describe('barrier SQL', () => {
  test('one statement per dialect, keyed on the four columns', () => {
    for (const dialect of ['postgres', 'sqlite'] as const) {
      const ddl = barrierDdl(dialect);
      assert.match(ddl, /^CREATE TABLE IF NOT EXISTS accord_barrier \(/);
      assert.match(ddl, /PRIMARY KEY \(gid, branch_id, op, barrier_id\)/);
      assert.ok(!ddl.includes(';'));
    }
    assert.match(
      barrierSql('postgres').insertIgnore,
      /VALUES \(\$1, \$2, \$3, \$4, \$5\) ON CONFLICT DO NOTHING$/,
    );
    assert.match(
      barrierSql('sqlite').insertIgnore,
      /VALUES \(\?, \?, \?, \?, \?\) ON CONFLICT DO NOTHING$/,
    );
  });

  test('table names must be identifiers', () => {
    assert.match(barrierDdl('postgres', { table: 'app.barrier' }), /EXISTS app\.barrier /);
    for (const bad of ['', '1x', 'a-b', 'a.b.c', 'x; drop', '"q"']) {
      assert.throws(() => barrierSql('sqlite', bad), { code: 'INVALID_REQUEST' }, bad);
    }
  });
});
