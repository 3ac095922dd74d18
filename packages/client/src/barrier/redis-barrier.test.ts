import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createTempKeyPrefix, requireService, uniqueName } from '@accord/testkit';
import { BusinessFailure } from '../participant/failures.js';
import {
  barrierConformance,
  freshGid,
  type BarrierHarness,
} from '../../test-support/barrier-conformance.js';
import { redisBarrier, type RedisScript } from './redis-barrier.js';
import type { BarrierContext, BarrierResult } from './types.js';

const skip = await requireService('redis');
const temp = createTempKeyPrefix('accord_client_barrier');
const barrier = redisBarrier({ prefix: `${temp.prefix}barrier:` });
const clients: Redis[] = [];
let harness: BarrierHarness | undefined;

function redis(index = 0): Redis {
  const client = clients[index];
  assert.ok(client, 'redis not ready');
  return client;
}

/** A key in the gid's slot, like a business key on Redis Cluster must be. */
const tagged = (gid: string, name: string) => `${temp.prefix}{${gid}}:${name}`;
const balanceKey = (gid: string) => tagged(gid, 'balance');

/** The ledger: a counter per (gid, op); refuses when ARGV[1] is '1', before writing. */
const LEDGER = `
if ARGV[1] == '1' then return refuse('business failed') end
return redis.call('INCR', KEYS[1])`;
const ledger = (gid: string, op: string, fail = false): RedisScript => ({
  script: LEDGER,
  keys: [tagged(gid, `ledger:${op}`)],
  args: [fail ? '1' : '0'],
});

const ctxOf = (gid: string, op: BarrierContext['op'], branchId = '01'): BarrierContext => ({
  gid,
  branchId,
  op,
});

async function balance(gid: string): Promise<number> {
  return Number((await redis().get(balanceKey(gid))) ?? 0);
}

if (skip === null) {
  before(() => {
    for (let i = 0; i < 4; i += 1) clients.push(new Redis(temp.url));
    harness = {
      async call(ctx, { steps = 1, fail = false } = {}) {
        const results: BarrierResult<unknown>[] = [];
        for (let i = 0; i < steps; i += 1) {
          const last = i === steps - 1;
          results.push(await barrier.run(redis(), ctx, ledger(ctx.gid, ctx.op, fail && last)));
        }
        return results;
      },
      async applied(gid, op) {
        return Number((await redis().get(tagged(gid, `ledger:${op}`))) ?? 0);
      },
      async produce(gid) {
        await barrier.msg(redis(), gid, ledger(gid, 'action'));
      },
      checkPrepared: (gid) => barrier.checkPrepared(redis(), gid),
    };
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await temp.drop();
  });

  barrierConformance('redis', () => {
    assert.ok(harness);
    return harness;
  });

  describe('redis barrier: incrBy', () => {
    test('a duplicate debit is applied once', async () => {
      const gid = freshGid();
      await redis().set(balanceKey(gid), 100);
      const ctx = ctxOf(gid, 'action');
      assert.deepEqual(await barrier.incrBy(redis(), ctx, balanceKey(gid), -30, { min: 0 }), {
        applied: true,
        value: 70,
      });
      assert.deepEqual(
        await barrier.incrBy(redis(), ctxOf(gid, 'action'), balanceKey(gid), -30, { min: 0 }),
        { applied: false, reason: 'duplicate' },
      );
      assert.equal(await balance(gid), 70);
    });

    test('try then cancel: debited once, refunded once', async () => {
      const gid = freshGid();
      await redis().set(balanceKey(gid), 100);
      const debit = (op: 'try' | 'cancel', delta: number) =>
        barrier.incrBy(redis(), ctxOf(gid, op), balanceKey(gid), delta, { min: 0 });
      assert.equal((await debit('try', -40)).applied, true);
      assert.equal(await balance(gid), 60);
      assert.deepEqual(await debit('cancel', 40), { applied: true, value: 100 });
      assert.deepEqual(await debit('cancel', 40), { applied: false, reason: 'duplicate' });
      assert.deepEqual(await debit('try', -40), { applied: false, reason: 'duplicate' });
      assert.equal(await balance(gid), 100);
    });

    test('an empty compensation skips and blocks the later try (hanging)', async () => {
      const gid = freshGid();
      await redis().set(balanceKey(gid), 100);
      const cancel = await barrier.incrBy(redis(), ctxOf(gid, 'cancel'), balanceKey(gid), 40);
      assert.deepEqual(cancel, { applied: false, reason: 'empty-compensation' });
      const late = await barrier.incrBy(redis(), ctxOf(gid, 'try'), balanceKey(gid), -40);
      assert.deepEqual(late, { applied: false, reason: 'hanging' });
      assert.equal(await balance(gid), 100);
    });

    test('below min is a BusinessFailure that leaves no barrier key; its compensation is empty', async () => {
      const gid = freshGid();
      await redis().set(balanceKey(gid), 5);
      await assert.rejects(
        barrier.incrBy(redis(), ctxOf(gid, 'action'), balanceKey(gid), -10, { min: 0 }),
        (error: unknown) =>
          error instanceof BusinessFailure && /would fall below 0/.test(error.message),
      );
      assert.equal(await redis().exists(barrier.key(gid, '01', 'action', '01')), 0);
      assert.equal(await balance(gid), 5);
      const compensate = await barrier.incrBy(
        redis(),
        ctxOf(gid, 'compensate'),
        balanceKey(gid),
        10,
      );
      assert.deepEqual(compensate, { applied: false, reason: 'empty-compensation' });
      assert.equal(await balance(gid), 5);
    });

    test('above max is refused too; a missing counter counts as 0', async () => {
      const gid = freshGid();
      await assert.rejects(
        barrier.incrBy(redis(), ctxOf(gid, 'action', '01'), balanceKey(gid), 11, { max: 10 }),
        BusinessFailure,
      );
      const r = await barrier.incrBy(redis(), ctxOf(gid, 'action', '02'), balanceKey(gid), 10, {
        max: 10,
      });
      assert.deepEqual(r, { applied: true, value: 10 });
    });

    test('a counter holding a non-integer is an error, and no barrier key is left', async () => {
      const gid = freshGid();
      await redis().set(balanceKey(gid), 'abc');
      await assert.rejects(
        barrier.incrBy(redis(), ctxOf(gid, 'action'), balanceKey(gid), 1),
        /does not hold an integer/,
      );
      assert.equal(await redis().exists(barrier.key(gid, '01', 'action', '01')), 0);
      assert.equal(await redis().get(balanceKey(gid)), 'abc');
    });

    test('non-integer amounts are refused before reaching Redis', async () => {
      const gid = freshGid();
      await assert.rejects(barrier.incrBy(redis(), ctxOf(gid, 'action'), balanceKey(gid), 1.5), {
        code: 'INVALID_REQUEST',
        message: /delta: must be a safe integer/,
      });
    });
  });

  describe('redis barrier under concurrency', () => {
    test('four connections racing the same delivery apply it once', async () => {
      const gid = freshGid();
      await redis().set(balanceKey(gid), 100);
      const results = await Promise.all(
        clients.map((client) =>
          barrier.incrBy(client, ctxOf(gid, 'action'), balanceKey(gid), -10, { min: 0 }),
        ),
      );
      assert.equal(results.filter((r) => r.applied).length, 1);
      assert.equal(results.filter((r) => !r.applied && r.reason === 'duplicate').length, 3);
      assert.equal(await balance(gid), 90);
    });

    test('a try racing its cancel always leaves the balance as it was', async () => {
      for (let round = 0; round < 20; round += 1) {
        const gid = freshGid();
        await redis().set(balanceKey(gid), 100);
        const [tryResult, cancelResult] = await Promise.all([
          barrier.incrBy(redis(round % 4), ctxOf(gid, 'try'), balanceKey(gid), -25),
          barrier.incrBy(redis((round + 1) % 4), ctxOf(gid, 'cancel'), balanceKey(gid), 25),
        ]);
        assert.equal(tryResult.applied, cancelResult.applied, `round ${round}`);
        assert.equal(await balance(gid), 100, `round ${round}`);
      }
    });
  });

  describe('redis barrier: msg', () => {
    test('the producer script commits; check-back answers committed', async () => {
      const gid = freshGid();
      await redis().set(balanceKey(gid), 50);
      assert.equal(await barrier.msgIncrBy(redis(), gid, balanceKey(gid), -20, { min: 0 }), 30);
      assert.equal(await barrier.checkPrepared(redis(1), gid), 'committed');
      assert.equal(await barrier.checkPrepared(redis(2), gid), 'committed');
    });

    test('a check-back first answers rolledback, and the late producer is refused', async () => {
      const gid = freshGid();
      await redis().set(balanceKey(gid), 50);
      assert.equal(await barrier.checkPrepared(redis(), gid), 'rolledback');
      await assert.rejects(
        barrier.msgIncrBy(redis(), gid, balanceKey(gid), -20),
        /already declared rolled back/,
      );
      assert.equal(await balance(gid), 50, 'the business effect did not happen');
      assert.equal(await barrier.checkPrepared(redis(), gid), 'rolledback');
    });

    test('a producer refused by its business leaves no marker: the check-back rolls it back', async () => {
      const gid = freshGid();
      await redis().set(balanceKey(gid), 10);
      await assert.rejects(
        barrier.msgIncrBy(redis(), gid, balanceKey(gid), -20, { min: 0 }),
        BusinessFailure,
      );
      assert.equal(await barrier.checkPrepared(redis(), gid), 'rolledback');
      assert.equal(await balance(gid), 10);
    });

    test('producer and check-back racing: the answer matches what happened', async () => {
      for (let round = 0; round < 20; round += 1) {
        const gid = freshGid();
        const [produced, status] = await Promise.allSettled([
          barrier.msgIncrBy(redis(round % 4), gid, balanceKey(gid), 1),
          barrier.checkPrepared(redis((round + 1) % 4), gid),
        ]);
        assert.equal(status.status, 'fulfilled');
        const committed = produced.status === 'fulfilled';
        assert.equal(status.value, committed ? 'committed' : 'rolledback', `round ${round}`);
        assert.equal(await balance(gid), committed ? 1 : 0, `round ${round}`);
      }
    });
  });

  describe('redis barrier specifics', () => {
    test('keys carry the {gid} hash tag and the TTL', async () => {
      const gid = freshGid();
      await barrier.incrBy(redis(), ctxOf(gid, 'cancel'), balanceKey(gid), 1);
      const origin = barrier.key(gid, '01', 'try', '01');
      const own = barrier.key(gid, '01', 'cancel', '01');
      assert.equal(own, `${temp.prefix}barrier:{${gid}}:01:cancel:01`);
      assert.deepEqual(await redis().mget(origin, own), ['cancel', 'cancel']);
      const ttl = await redis().ttl(own);
      assert.ok(ttl > 7 * 24 * 3600 - 60 && ttl <= 7 * 24 * 3600, `ttl ${ttl}`);
    });

    test('ttlSeconds: 0 keeps the keys forever; a custom TTL is applied', async () => {
      const forever = redisBarrier({ prefix: `${temp.prefix}forever:`, ttlSeconds: 0 });
      const short = redisBarrier({ prefix: `${temp.prefix}short:`, ttlSeconds: 60 });
      const gid = freshGid();
      await forever.run(redis(), ctxOf(gid, 'action'), ledger(gid, 'a'));
      await short.run(redis(), ctxOf(gid, 'action'), ledger(gid, 'b'));
      assert.equal(await redis().ttl(forever.key(gid, '01', 'action', '01')), -1);
      const ttl = await redis().ttl(short.key(gid, '01', 'action', '01'));
      assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);
    });

    test('a custom script: its value, its error reply leaving no key, explicit barrier ids', async () => {
      const gid = freshGid();
      const script = `-- ${uniqueName('fresh')} (not in the script cache yet: EVAL fallback)
if ARGV[1] == 'boom' then return redis.error_reply('ERR boom') end
redis.call('SET', KEYS[1], ARGV[1])
return {ARGV[1], 42}`;
      const key = tagged(gid, 'custom');
      await assert.rejects(
        barrier.run(redis(), ctxOf(gid, 'action'), { script, keys: [key], args: ['boom'] }),
        /boom/,
      );
      assert.equal(await redis().exists(barrier.key(gid, '01', 'action', '01')), 0);
      const r = await barrier.run<[string, number]>(
        redis(),
        ctxOf(gid, 'action'),
        { script, keys: [key], args: ['x'] },
        { barrierId: 'step-a' },
      );
      assert.deepEqual(r, { applied: true, value: ['x', 42] });
      assert.equal(await redis().get(barrier.key(gid, '01', 'action', 'step-a')), 'action');
      assert.equal(await redis().get(key), 'x');
    });

    test('invalid options and keys are refused', () => {
      assert.throws(() => redisBarrier({ prefix: 'a{b}:' }), { code: 'INVALID_REQUEST' });
      assert.throws(() => redisBarrier({ ttlSeconds: -1 }), { code: 'INVALID_REQUEST' });
      assert.throws(() => redisBarrier({ ttlSeconds: 1.5 }), { code: 'INVALID_REQUEST' });
      assert.throws(() => barrier.key('a}b', '01', 'try', '01'), { code: 'INVALID_REQUEST' });
      assert.throws(() => barrier.key('g', '01', 'try', 'a:b'), { code: 'INVALID_REQUEST' });
    });
  });
} else {
  test('redis barrier', (t) => t.skip(skip));
}
