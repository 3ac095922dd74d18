import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { SERVICES, requireService } from './index.js';
import { anyLeftovers, findLeftovers, leftoverSummary, removeLeftovers } from './leftovers.js';
import { newRunId, runMark } from './run-id.js';

async function execute(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVICES.postgres.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe('the leak check', async () => {
  const skip = await requireService('postgres');

  it(
    'finds and removes only the schemas that carry its run mark',
    { skip: skip ?? false },
    async () => {
      // A run of its own: the real run's files create marked schemas at the same time.
      const runId = newRunId();
      const mine = `leak${runMark(runId)}${randomBytes(4).toString('hex')}`;
      const other = `leak${runMark(newRunId())}${randomBytes(4).toString('hex')}`;
      await execute(`create schema "${mine}"; create schema "${other}"`);
      try {
        const found = await findLeftovers(runId);
        assert.deepEqual(found.schemas, [mine]);
        assert.ok(anyLeftovers(found));
        assert.match(leftoverSummary(found), /^leak check: 0 processes, 0 databases, 1 schemas/);
        await removeLeftovers(found);
        const after = await findLeftovers(runId);
        assert.deepEqual(after.schemas, []);
        assert.equal(anyLeftovers(after), false);
      } finally {
        await execute(`drop schema if exists "${mine}"; drop schema if exists "${other}"`);
      }
    },
  );
});
