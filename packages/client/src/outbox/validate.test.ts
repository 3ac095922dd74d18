import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { outboxId } from './ids.js';
import { inboxDdl, outboxDdl } from './sql.js';
import { resolveRelayOptions, toOutboxRow } from './validate.js';
import type { OutboxPublisher } from './types.js';

const publisher: OutboxPublisher = { publish: async () => undefined };

const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    const e = error as { code?: string; issues?: { path: string; message: string }[] };
    assert.equal(e.code, 'INVALID_REQUEST');
    return (e.issues ?? []).map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ValidationError');
};

describe('outboxId', () => {
  test('UUIDv7: version 7, RFC variant, the given millisecond, strictly increasing', () => {
    const ms = 1_700_000_000_000;
    const ids = Array.from({ length: 5_000 }, () => outboxId(ms));
    for (const id of ids) {
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    assert.equal(parseInt(ids[0]?.replace(/-/g, '').slice(0, 12) ?? '', 16), ms);
    assert.deepEqual([...ids].sort(), ids, 'in order even past 4096 ids in one millisecond');
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(outboxId(ms - 10_000) > (ids.at(-1) ?? ''), 'never backwards when the clock is');
  });
});

describe('toOutboxRow', () => {
  test('fills in an id, serialises payload and headers, and schedules by delayMs', () => {
    const row = toOutboxRow(
      { topic: 'user.created', payload: { a: [1, null] }, headers: { 'x-a': 'b' }, delayMs: 250 },
      1_000,
    );
    assert.match(row.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...row, id: 'x' },
      {
        id: 'x',
        topic: 'user.created',
        payload: '{"a":[1,null]}',
        headers: '{"x-a":"b"}',
        createdAt: 1_000,
        availableAt: 1_250,
      },
    );
    assert.equal(toOutboxRow({ topic: 't', payload: null }, 0).payload, 'null');
  });

  test('names every offending field and why', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const issues = issuesOf(() =>
      toOutboxRow(
        {
          id: ' padded',
          topic: 'a'.repeat(256),
          payload: cyclic,
          headers: {
            'bad name': 'v',
            'accord-message-id': 'x',
            'x-ok': 'line\nbreak',
            'x-n': 1 as unknown as string,
          },
          delayMs: 1.5,
        },
        0,
      ),
    );
    // The engine words the circular-structure error itself.
    assert.match(issues[2] ?? '', /^payload: must be JSON-serialisable \(.*circular/is);
    assert.deepEqual(issues.toSpliced(2, 1), [
      'id: must not start or end with whitespace',
      'topic: must be at most 255 characters',
      'headers.bad name: is not a valid header name',
      'headers.accord-message-id: is reserved (accord-*)',
      'headers.x-ok: must not contain line breaks or control characters',
      'headers.x-n: must be a string',
      'delayMs: must be an integer >= 0',
    ]);
    assert.deepEqual(
      issuesOf(() => toOutboxRow({ id: 'x'.repeat(129), topic: 't', payload: undefined }, 0)),
      ['id: must be at most 128 characters', 'payload: must be JSON-serialisable (got undefined)'],
    );
    assert.deepEqual(
      issuesOf(() =>
        toOutboxRow(
          { topic: 't', payload: 1, headers: [] as unknown as Record<string, string> },
          0,
        ),
      ),
      ['headers: must be an object of string values'],
    );
    assert.deepEqual(
      issuesOf(() => toOutboxRow(null as never, 0)),
      [': message must be an object'],
    );
  });
});

describe('resolveRelayOptions', () => {
  test('defaults', () => {
    assert.deepEqual(resolveRelayOptions({ publisher }), {
      batchSize: 50,
      intervalMs: 1_000,
      leaseMs: 30_000,
      concurrency: 1,
      retry: {
        firstDelayMs: 1_000,
        factor: 2,
        maxDelayMs: 300_000,
        jitter: 0.2,
        maxAttempts: undefined,
      },
    });
  });

  test('refuses unusable values, each by path', () => {
    assert.deepEqual(
      issuesOf(() =>
        resolveRelayOptions({
          publisher: {} as OutboxPublisher,
          batchSize: 0,
          intervalMs: 0,
          leaseMs: 1,
          concurrency: 1.5,
          retry: { firstDelayMs: -1, factor: 0.5, maxDelayMs: Infinity, jitter: 2, maxAttempts: 0 },
          owner: '',
        }),
      ),
      [
        'publisher: must have a publish(message) method',
        'batchSize: must be an integer in 1..10000',
        'intervalMs: must be an integer >= 1',
        'leaseMs: must be an integer >= 2',
        'concurrency: must be an integer in 1..1000',
        'retry.firstDelayMs: must be an integer >= 0',
        'retry.maxDelayMs: must be an integer >= 0',
        'retry.factor: must be a number >= 1',
        'retry.jitter: must be a number in [0, 1]',
        'retry.maxAttempts: must be an integer >= 1',
        'owner: must not be empty',
      ],
    );
  });
});

describe('DDL', () => {
  test('one CREATE TABLE per dialect, then partial indexes where the dialect has them', () => {
    assert.equal(outboxDdl('mysql').length, 1);
    assert.match(outboxDdl('mysql')[0] ?? '', /KEY accord_outbox_due \(status, available_at\)/);
    const pg = outboxDdl('postgres', { table: 'app.events_outbox' });
    assert.match(pg[0] ?? '', /^CREATE TABLE IF NOT EXISTS app\.events_outbox \(/);
    assert.equal(
      pg[1],
      "CREATE INDEX IF NOT EXISTS events_outbox_pending ON app.events_outbox (available_at) WHERE status = 'pending'",
    );
    assert.equal(inboxDdl('sqlite').length, 2);
    assert.throws(() => outboxDdl('sqlite', { table: 'bad-name' }), { code: 'INVALID_REQUEST' });
  });
});
