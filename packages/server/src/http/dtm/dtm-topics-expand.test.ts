/** Expansion of `topic://` msg steps: ids, payloads and dependencies (SQLite in memory). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../stores/sqlite/sqlite-store.js';
import { TopicRegistry } from '../../topics/topic-registry.js';
import { toDtmCreate } from './dtm-body.js';
import { expandTopics } from './dtm-topics.js';

describe('expandTopics', () => {
  const store = new SqliteStore({ path: ':memory:' });
  const topics = new TopicRegistry(store.kv);

  before(async () => {
    await store.migrate();
    await topics.subscribe('many', { url: 'http://a.test/1', remark: '' });
    await topics.subscribe('many', { url: 'http://b.test/2', remark: '' });
    await topics.subscribe('one', { url: 'http://c.test/3', remark: '' });
  });
  after(() => store.close());

  it('gives each subscriber a step with the payload; dependents wait for all of them', async () => {
    const dtm = toDtmCreate(
      {
        gid: 'g',
        trans_type: 'msg',
        concurrent: true,
        custom_data: JSON.stringify({ orders: { '2': [0, 1] } }),
        steps: [{ action: 'topic://many' }, { action: 'topic://one' }, { action: 'http://d.test' }],
        payloads: ['p1', 'p2', 'p3'],
      },
      60_000,
    );
    const out = await expandTopics(dtm, topics);
    assert.deepEqual(
      out.body.steps?.map((s) => [s.id, s.action, s.dependsOn ?? []]),
      [
        ['01-01', 'http://a.test/1', []],
        ['01-02', 'http://b.test/2', []],
        ['02', 'http://c.test/3', []],
        ['03', 'http://d.test', ['01-01', '01-02', '02']],
      ],
    );
    assert.deepEqual(out.payloads, ['p1', 'p1', 'p2', 'p3']);
  });

  it('leaves a message without topics as it is', async () => {
    const dtm = toDtmCreate(
      { gid: 'g', trans_type: 'msg', steps: [{ action: 'http://d.test' }], payloads: ['x'] },
      60_000,
    );
    assert.equal(await expandTopics(dtm, topics), dtm);
  });
});
