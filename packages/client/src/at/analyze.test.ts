import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeStatement, AtStatementRefused, type AtDialectName } from './analyze.js';

function refusal(sql: string, dialect: AtDialectName): string {
  try {
    analyzeStatement(sql, dialect);
  } catch (error) {
    assert.ok(error instanceof AtStatementRefused);
    assert.equal(error.sql, sql);
    return error.reason;
  }
  assert.fail(`not refused: ${sql}`);
}

describe('at statement analysis', () => {
  test('an UPDATE keeps its WHERE text and names the parameters it uses', () => {
    assert.deepEqual(
      analyzeStatement(
        "UPDATE public.acc a SET bal = bal + $1 WHERE a.id = $2 AND note <> '$3'",
        'postgresql',
      ),
      {
        kind: 'update',
        table: { schema: 'public', name: 'acc', alias: 'a' },
        where: "a.id = $2 AND note <> '$3'",
        whereParams: [2],
        setColumns: ['bal'],
      },
    );
    assert.deepEqual(
      analyzeStatement('UPDATE acc SET bal = bal + ?, n = ? WHERE id = ? OR id = ?', 'mysql'),
      {
        kind: 'update',
        table: { schema: undefined, name: 'acc', alias: undefined },
        where: 'id = ? OR id = ?',
        whereParams: [2, 3],
        setColumns: ['bal', 'n'],
      },
    );
  });

  test('a DELETE without WHERE images the whole table', () => {
    const plan = analyzeStatement('DELETE FROM acc', 'mysql');
    assert.equal(plan.kind, 'delete');
    assert.ok(plan.kind === 'delete' && plan.where === undefined);
  });

  test('an INSERT lists where each value comes from', () => {
    const plan = analyzeStatement('INSERT INTO acc (id, bal) VALUES (?, 5), (2, ?)', 'mysql');
    assert.ok(plan.kind === 'insert');
    assert.deepEqual(plan.rows, [
      [
        { kind: 'param', index: 0 },
        { kind: 'literal', value: 5 },
      ],
      [
        { kind: 'literal', value: 2 },
        { kind: 'param', index: 1 },
      ],
    ]);
  });

  test('reads run as they are', () => {
    assert.deepEqual(analyzeStatement('SELECT * FROM acc WHERE id = $1 FOR UPDATE', 'postgresql'), {
      kind: 'read',
    });
    assert.deepEqual(analyzeStatement('  select 1', 'mysql'), { kind: 'read' });
  });

  test('refuses what cannot be imaged, saying why', () => {
    const cases: [string, AtDialectName, RegExp][] = [
      ['REPLACE INTO acc (id) VALUES (1)', 'mysql', /REPLACE/],
      ['TRUNCATE acc', 'mysql', /TRUNCATE/],
      ['TRUNCATE acc', 'postgresql', /TRUNCATE/],
      ['CALL p(1)', 'mysql', /procedure/],
      ['UPDATE a JOIN b ON a.id = b.id SET a.x = 1', 'mysql', /more than one table/],
      ['DELETE a, b FROM a JOIN b ON a.id = b.id', 'mysql', /more than one table/],
      ['UPDATE a SET x = 1 FROM b WHERE a.id = b.id', 'postgresql', /UPDATE … FROM/],
      ['INSERT INTO a (id) SELECT id FROM b', 'mysql', /INSERT … SELECT/],
      ['INSERT INTO a (id) VALUES (1) ON DUPLICATE KEY UPDATE id = 2', 'mysql', /ON DUPLICATE KEY/],
      ['INSERT INTO a (id) VALUES (1) ON CONFLICT (id) DO NOTHING', 'postgresql', /ON CONFLICT/],
      ['INSERT IGNORE INTO a (id) VALUES (1)', 'mysql', /INSERT IGNORE/],
      ['UPDATE a SET x = 1 WHERE y = 2 LIMIT 1', 'mysql', /LIMIT/],
      ['UPDATE a SET x = 1; DELETE FROM b', 'mysql', /one statement/],
      ['WITH q AS (SELECT 1) UPDATE a SET x = 1', 'postgresql', /WITH/],
      ['CREATE TABLE z (id INT)', 'mysql', /CREATE cannot be imaged/],
      ['UPDATE WHERE', 'mysql', /cannot be parsed/],
    ];
    for (const [sql, dialect, reason] of cases) assert.match(refusal(sql, dialect), reason, sql);
  });
});
