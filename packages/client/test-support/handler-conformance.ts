/**
 * One set of cases every participant adapter (node:http and Express, Fastify, Hono and
 * Fetch) must pass, run against a real server by each adapter's test file. Not part of the
 * public API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import type { AccordContext } from '../src/participant/context.js';
import { BusinessFailure, Ongoing } from '../src/participant/failures.js';
import { textReply } from '../src/participant/reply.js';
import type { AccordHandlerFn, AccordHandlerOptions } from '../src/participant/process-call.js';
import { signPayload } from '@accord/protocol';

/** A running participant server with one route at `/p`. */
export interface RunningParticipant {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a real server of the adapter under test, serving `fn` at `/p`. */
export type StartParticipant = (
  fn: AccordHandlerFn,
  options: AccordHandlerOptions,
) => Promise<RunningParticipant>;

const SECRET = 'conformance-secret';

/** The mode {@link accordHeaders} sends with an op. */
function modeOf(op: string): string {
  return op === 'try' || op === 'confirm' || op === 'cancel' ? 'tcc' : 'saga';
}

/** Accord headers of a branch call. */
export function accordHeaders(op = 'action', extra: Record<string, string> = {}) {
  return {
    'accord-gid': 'g-1',
    'accord-branch': '01',
    'accord-op': op,
    'accord-mode': modeOf(op),
    ...extra,
  };
}

/** The identity a signature binds for a call made with {@link accordHeaders}. */
export function callOf(op: string, mode = modeOf(op)) {
  return { gid: 'g-1', branchId: '01', op, mode };
}

/** POSTs to a participant; `body` is sent verbatim (string) with a JSON content type. */
export async function post(url: string, headers: Record<string, string>, body?: string) {
  const res = await request(url, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.body.text();
  const json = String(res.headers['content-type']).startsWith('application/json')
    ? (JSON.parse(text) as unknown)
    : undefined;
  return { status: res.statusCode, text, json };
}

/**
 * Behaviour of one adapter: `fn` is called with the context and parsed body, results and
 * errors map to the protocol's statuses, signatures are enforced.
 */
export function handlerConformance(name: string, start: StartParticipant): void {
  describe(`${name}: participant handler conformance`, () => {
    const seen: { ctx: AccordContext; body: unknown }[] = [];
    let behaviour: (body: unknown) => unknown = () => undefined;
    const fn: AccordHandlerFn = (ctx, body) => {
      seen.push({ ctx, body });
      return behaviour(body);
    };
    let plain: RunningParticipant;
    let signed: RunningParticipant;

    before(async () => {
      plain = await start(fn, {});
      signed = await start(fn, { secret: SECRET });
    });
    after(async () => {
      await plain.close();
      await signed.close();
    });

    test('passes the parsed headers and body, answers 200 with the JSON result', async () => {
      behaviour = (body) => ({ got: body });
      seen.length = 0;
      const res = await post(
        plain.url,
        accordHeaders('compensate', { traceparent: '00-abc-def-01' }),
        '{"amount":5}',
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { got: { amount: 5 } });
      assert.deepEqual(seen[0]?.ctx, {
        gid: 'g-1',
        branchId: '01',
        op: 'compensate',
        mode: 'saga',
        traceparent: '00-abc-def-01',
      });
    });

    test('a TextReply is sent as plain text, byte for byte', async () => {
      behaviour = () => textReply('success');
      const res = await post(plain.url, accordHeaders('action', { 'accord-mode': 'notify' }), '{}');
      assert.equal(res.status, 200);
      assert.equal(res.text, 'success');
      assert.equal(res.json, undefined, 'not JSON');
    });

    test('no body is undefined; no result is 204', async () => {
      behaviour = () => undefined;
      seen.length = 0;
      const res = await post(plain.url, accordHeaders('check', { 'accord-mode': 'msg' }));
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      assert.equal(seen[0]?.body, undefined);
    });

    test('BusinessFailure is 409, Ongoing 425, anything else 500 without a stack', async () => {
      behaviour = () => {
        throw new BusinessFailure('insufficient funds', { balance: 3 });
      };
      let res = await post(plain.url, accordHeaders(), '{}');
      assert.equal(res.status, 409);
      assert.deepEqual(res.json, {
        error: { code: 'BRANCH_FAILED', message: 'insufficient funds', details: { balance: 3 } },
      });
      behaviour = () => Promise.reject(new Ongoing('still settling'));
      res = await post(plain.url, accordHeaders(), '{}');
      assert.equal(res.status, 425);
      assert.deepEqual(res.json, { error: { code: 'BRANCH_ONGOING', message: 'still settling' } });
      behaviour = () => {
        throw new RangeError('db exploded');
      };
      res = await post(plain.url, accordHeaders(), '{}');
      assert.equal(res.status, 500);
      assert.deepEqual(res.json, { error: { code: 'INTERNAL', message: 'db exploded' } });
      assert.ok(!res.text.includes('at '), 'no stack trace in the answer');
    });

    test('missing Accord headers are 400, naming the header', async () => {
      seen.length = 0;
      const { 'accord-gid': _, ...headers } = accordHeaders();
      const res = await post(plain.url, headers, '{}');
      assert.equal(res.status, 400);
      assert.match(res.text, /Accord-Gid/);
      assert.equal(seen.length, 0);
    });

    test('an invalid JSON body is 400', async () => {
      seen.length = 0;
      const res = await post(plain.url, accordHeaders(), '{not json');
      assert.equal(res.status, 400);
      assert.equal(seen.length, 0);
    });

    test('signatures: valid passes; invalid, stale and missing are 401', async () => {
      behaviour = () => ({ ok: true });
      seen.length = 0;
      const body = '{"amount":7}';
      const valid = await post(
        signed.url,
        accordHeaders('confirm', {
          'accord-signature': signPayload(SECRET, callOf('confirm'), body),
        }),
        body,
      );
      assert.equal(valid.status, 200);
      const problems = {
        invalid: signPayload('wrong-secret', callOf('confirm'), body),
        stale: signPayload(SECRET, callOf('confirm'), body, Date.now() - 301_000),
        tampered: signPayload(SECRET, callOf('confirm'), '{"amount":8}'),
        otherOp: signPayload(SECRET, callOf('cancel'), body),
        otherMode: signPayload(SECRET, callOf('confirm', 'saga'), body),
      };
      for (const [what, signature] of Object.entries(problems)) {
        const res = await post(
          signed.url,
          accordHeaders('confirm', { 'accord-signature': signature }),
          body,
        );
        assert.equal(res.status, 401, what);
        assert.equal((res.json as { error: { code: string } }).error.code, 'SIGNATURE_INVALID');
      }
      const missing = await post(signed.url, accordHeaders('confirm'), body);
      assert.equal(missing.status, 401);
      assert.match(missing.text, /missing/);
      assert.equal(seen.length, 1, 'only the valid call reached the business function');
    });

    test('signatures: a body-less call is signed over the empty string', async () => {
      behaviour = () => ({ ok: true });
      const check = await post(
        signed.url,
        accordHeaders('check', {
          'accord-mode': 'msg',
          'accord-signature': signPayload(SECRET, callOf('check', 'msg'), ''),
        }),
      );
      assert.equal(check.status, 200);
    });

    test('signatures: try is checked like every op; an unsigned try is 401', async () => {
      behaviour = () => ({ ok: true });
      seen.length = 0;
      const body = '{"n":1}';
      const unsigned = await post(signed.url, accordHeaders('try'), body);
      assert.equal(unsigned.status, 401);
      assert.deepEqual(unsigned.json, {
        error: { code: 'SIGNATURE_INVALID', message: 'Accord-Signature is missing' },
      });
      const tried = await post(
        signed.url,
        accordHeaders('try', { 'accord-signature': signPayload(SECRET, callOf('try'), body) }),
        body,
      );
      assert.equal(tried.status, 200);
      assert.equal(seen.length, 1, 'only the signed try reached the business function');
    });

    test('signatures: the mode is signed; a call moved to another mode is 401', async () => {
      seen.length = 0;
      const body = '{"n":2}';
      const signature = signPayload(SECRET, callOf('action', 'saga'), body);
      const moved = await post(
        signed.url,
        accordHeaders('action', { 'accord-mode': 'msg', 'accord-signature': signature }),
        body,
      );
      assert.equal(moved.status, 401);
      assert.match(moved.text, /does not match this call \(gid, branch, op, mode\)/);
      assert.equal(seen.length, 0);
    });

    test('signatures: an exact replay of an accepted call is 401, a re-signed one passes', async () => {
      behaviour = () => ({ ok: true });
      seen.length = 0;
      const body = '{"amount":9}';
      const headers = accordHeaders('cancel', {
        'accord-signature': signPayload(SECRET, callOf('cancel'), body),
      });
      assert.equal((await post(signed.url, headers, body)).status, 200);
      const replayed = await post(signed.url, headers, body);
      assert.equal(replayed.status, 401);
      assert.deepEqual(replayed.json, {
        error: {
          code: 'SIGNATURE_INVALID',
          message: 'Accord-Signature was already used: a replayed call is refused',
        },
      });
      const resent = await post(
        signed.url,
        accordHeaders('cancel', {
          'accord-signature': signPayload(SECRET, callOf('cancel'), body),
        }),
        body,
      );
      assert.equal(resent.status, 200, 'a retry is signed afresh');
      assert.equal(seen.length, 2);
    });
  });
}
