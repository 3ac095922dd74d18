import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  createTempMysqlDatabase,
  createTempSchema,
  requireService,
  tempDir,
  type TempDatabase,
  type TempSchema,
} from '@accord/testkit';
import type { SourceRow } from '../core/rules.js';
import { openSource, SourceUnavailableError, type SourceSpec } from './source.js';
import { bindWindow } from './window-parameters.js';

const WINDOW = { from: new Date('2025-01-02T00:00:00Z'), to: new Date('2025-01-03T00:00:00Z') };
/** Rows 1..2500 updated one minute apart from 2025-01-01T12:00Z: ids 721..2160 fall in the window. */
const ROWS = 2500;
const updatedAt = (id: number) => new Date(Date.UTC(2025, 0, 1, 12, id - 1));
const IN_WINDOW = Array.from({ length: ROWS }, (_, i) => i + 1).filter(
  (id) => updatedAt(id) >= WINDOW.from && updatedAt(id) < WINDOW.to,
);

async function readAll(spec: SourceSpec): Promise<SourceRow[]> {
  const source = await openSource(spec, WINDOW);
  const rows: SourceRow[] = [];
  for await (const row of source.rows) rows.push(row);
  await source.complete();
  return rows;
}

describe('bindWindow', () => {
  it('numbers :from and :to, leaving casts and quoted text alone', () => {
    assert.deepEqual(
      bindWindow(
        "select ':from', x::text from t where u >= :from and u < :to and v = :from",
        'dollar',
      ),
      {
        text: "select ':from', x::text from t where u >= $1 and u < $2 and v = $3",
        names: ['from', 'to', 'from'],
      },
    );
    assert.equal(bindWindow('u >= :from and u < :to', 'question').text, 'u >= ? and u < ?');
  });
});

describe('sql sources', () => {
  let schema: TempSchema | undefined;
  let database: TempDatabase | undefined;
  let skipPg: string | null = null;
  let skipMaria: string | null = null;
  const files = tempDir('accord-recon-');

  before(async () => {
    skipPg = await requireService('postgres');
    skipMaria = await requireService('mariadb');
    if (!skipPg) {
      schema = await createTempSchema('accord_recon');
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        await client.query(
          'create table orders (id bigint primary key, amount numeric(12,2), updated_at timestamptz)',
        );
        await client.query(
          `insert into orders select i, i * 1.5, timestamptz '2025-01-01T12:00:00Z' + (i - 1) * interval '1 minute' from generate_series(1, ${ROWS}) i`,
        );
      } finally {
        await client.end();
      }
    }
    if (!skipMaria) {
      database = await createTempMysqlDatabase('accord_recon');
      const connection = await mysql.createConnection({ uri: database.url, timezone: 'Z' });
      try {
        await connection.query(
          'create table orders (id bigint primary key, amount decimal(12,2), updated_at datetime(3))',
        );
        const values = Array.from({ length: ROWS }, (_, i) => [
          i + 1,
          (i + 1) * 1.5,
          updatedAt(i + 1),
        ]);
        await connection.query('insert into orders values ?', [values]);
      } finally {
        await connection.end();
      }
    }
    const db = new Database(join(files.path, 'orders.db'));
    db.exec('create table orders (id integer primary key, amount real, updated_at text)');
    const insert = db.prepare('insert into orders values (?, ?, ?)');
    db.transaction(() => {
      for (let id = 1; id <= ROWS; id += 1) insert.run(id, id * 1.5, updatedAt(id).toISOString());
    })();
    db.close();
  });

  after(async () => {
    await schema?.drop();
    await database?.drop();
    files.remove();
  });

  const QUERY =
    'select id, amount from orders where updated_at >= :from and updated_at < :to order by id';

  it('reads PostgreSQL through a cursor, in the window, in key order', async (t) => {
    if (skipPg) return t.skip(skipPg);
    const rows = await readAll({ type: 'sql', url: schema!.url, query: QUERY });
    assert.deepEqual(
      rows.map((r) => Number(r['id'])),
      IN_WINDOW,
    );
    assert.equal(rows[0]!['amount'], '1081.50');
  });

  it('reads MariaDB as a stream, in the window, in key order', async (t) => {
    if (skipMaria) return t.skip(skipMaria);
    const rows = await readAll({
      type: 'sql',
      url: database!.url.replace(/^mysql:/, 'mariadb:'),
      query: QUERY,
    });
    assert.deepEqual(
      rows.map((r) => Number(r['id'])),
      IN_WINDOW,
    );
    assert.equal(rows[0]!['amount'], '1081.50');
  });

  it('reads SQLite by iterating, the window as ISO text', async () => {
    const rows = await readAll({
      type: 'sql',
      url: `sqlite:${join(files.path, 'orders.db')}`,
      query: QUERY,
    });
    assert.deepEqual(
      rows.map((r) => r['id']),
      IN_WINDOW,
    );
  });

  it('stops reading PostgreSQL and closes the connection when the consumer stops early', async (t) => {
    if (skipPg) return t.skip(skipPg);
    const source = await openSource({ type: 'sql', url: schema!.url, query: QUERY }, WINDOW);
    let seen = 0;
    for await (const _row of source.rows) if ((seen += 1) === 3) break;
    assert.equal(seen, 3);
  });

  it('refuses an unknown scheme by name', async () => {
    await assert.rejects(
      openSource({ type: 'sql', url: 'oracle://x', query: 'select 1' }, WINDOW),
      (error: unknown) => error instanceof SourceUnavailableError && /"oracle"/.test(error.message),
    );
  });
});

describe('http source', () => {
  it('follows the cursor through every page, sending the window and the headers', async () => {
    const seen: string[] = [];
    const server = createServer((request, response) => {
      const url = new URL(request.url!, 'http://x');
      seen.push(`${url.searchParams.get('cursor')}|${request.headers['authorization']}`);
      assert.equal(url.searchParams.get('from'), WINDOW.from.toISOString());
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const limit = Number(url.searchParams.get('limit'));
      const items = IN_WINDOW.slice(start, start + limit).map((id) => ({ id }));
      const next = start + limit < IN_WINDOW.length ? String(start + limit) : null;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ items, nextCursor: next }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const rows = await readAll({
        type: 'http',
        url: `http://127.0.0.1:${port}/statement`,
        headers: { authorization: 'Bearer t' },
        pageSize: 500,
      });
      assert.deepEqual(
        rows.map((r) => r['id']),
        IN_WINDOW,
      );
      assert.deepEqual(seen, ['null|Bearer t', '500|Bearer t', '1000|Bearer t']);
    } finally {
      server.close();
    }
  });

  it('fails on a page that is not a page', async () => {
    const server = createServer((_request, response) => response.end('{"rows": []}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await assert.rejects(
        readAll({ type: 'http', url: `http://127.0.0.1:${port}/` }),
        /no "items" array/,
      );
    } finally {
      server.close();
    }
  });
});

describe('csv source', () => {
  it('reads the first statement by name, streaming, and moves it aside when complete', async () => {
    const folder = tempDir('accord-recon-csv-');
    try {
      writeFileSync(join(folder.path, '2025-01-02.csv'), '\uFEFFid;amount\n1;10.00\n\n2;"2,5"\n');
      writeFileSync(join(folder.path, '2025-01-03.csv'), 'id;amount\n3;1\n');
      writeFileSync(join(folder.path, 'readme.txt'), 'not a statement');
      const first = await readAll({ type: 'csv', folder: folder.path, delimiter: ';' });
      assert.deepEqual(first, [
        { id: '1', amount: '10.00' },
        { id: '2', amount: '2,5' },
      ]);
      assert.ok(existsSync(join(folder.path, 'processed', '2025-01-02.csv')));
      const second = await readAll({ type: 'csv', folder: folder.path, delimiter: ';' });
      assert.deepEqual(second, [{ id: '3', amount: '1' }]);
      await assert.rejects(
        openSource({ type: 'csv', folder: folder.path }, WINDOW),
        (error: unknown) =>
          error instanceof SourceUnavailableError && /no statement/.test(error.message),
      );
    } finally {
      folder.remove();
    }
  });
});
