import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { signPayload, verifySignature, type SignatureProblem } from './signature.js';

const NOW = 1_750_000_000_000;
const BODY = '{"amount":5}';

function rejectsWith(problem: SignatureProblem, run: () => void): void {
  assert.throws(run, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, 'SIGNATURE_INVALID');
    assert.deepEqual((error as { details?: unknown }).details, { reason: problem });
    return true;
  });
}

describe('signatures', () => {
  test('the header is t=<ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const expected = createHmac('sha256', 's3cret').update(`${NOW}.${BODY}`).digest('hex');
    assert.equal(signPayload('s3cret', BODY, NOW), `t=${NOW},v1=${expected}`);
  });

  test('a valid signature passes, for strings and bytes alike', () => {
    const header = signPayload('s3cret', BODY, NOW);
    verifySignature('s3cret', header, BODY, { now: NOW + 1000 });
    verifySignature('s3cret', header, Buffer.from(BODY), { now: NOW - 1000 });
    verifySignature('s3cret', signPayload('s3cret', '', NOW), '', { now: NOW });
  });

  test('missing, malformed, stale and mismatched signatures are refused', () => {
    const header = signPayload('s3cret', BODY, NOW);
    rejectsWith('missing', () => verifySignature('s3cret', undefined, BODY, { now: NOW }));
    rejectsWith('missing', () => verifySignature('s3cret', ' ', BODY, { now: NOW }));
    rejectsWith('malformed', () => verifySignature('s3cret', 'garbage', BODY, { now: NOW }));
    rejectsWith('malformed', () => verifySignature('s3cret', `t=${NOW}`, BODY, { now: NOW }));
    rejectsWith('malformed', () =>
      verifySignature('s3cret', `t=abc,v1=${'0'.repeat(64)}`, BODY, { now: NOW }),
    );
    rejectsWith('stale', () => verifySignature('s3cret', header, BODY, { now: NOW + 300_001 }));
    rejectsWith('stale', () =>
      verifySignature('s3cret', header, BODY, { now: NOW - 2000, toleranceMs: 1000 }),
    );
    rejectsWith('mismatch', () => verifySignature('other', header, BODY, { now: NOW }));
    rejectsWith('mismatch', () => verifySignature('s3cret', header, `${BODY} `, { now: NOW }));
  });

  test('rotation: any of several secrets, any of several v1 entries', () => {
    const header = signPayload('new', BODY, NOW);
    verifySignature(['old', 'new'], header, BODY, { now: NOW });
    const old = signPayload('old', BODY, NOW).split(',')[1] ?? '';
    verifySignature('old', `${header},${old}`, BODY, { now: NOW });
  });

  test('an empty secret is a programming error', () => {
    assert.throws(() => signPayload('', BODY, NOW), TypeError);
  });
});
