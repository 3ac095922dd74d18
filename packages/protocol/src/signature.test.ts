import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { signPayload, verifySignature, type SignatureProblem } from './signature.js';

const NOW = 1_750_000_000_000;
const BODY = '{"amount":5}';
const CALL = { gid: 'order-42', branchId: '01', op: 'commit' };

function rejectsWith(problem: SignatureProblem, run: () => void): void {
  assert.throws(run, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, 'SIGNATURE_INVALID');
    assert.deepEqual((error as { details?: unknown }).details, { reason: problem });
    return true;
  });
}

describe('signatures', () => {
  test('the header is t=<ms>,v2=<hex HMAC-SHA256(secret, "<t>\\n<gid>\\n<branch>\\n<op>\\n<body>")>', () => {
    const expected = createHmac('sha256', 's3cret')
      .update(`${NOW}\norder-42\n01\ncommit\n${BODY}`)
      .digest('hex');
    assert.equal(signPayload('s3cret', CALL, BODY, NOW), `t=${NOW},v2=${expected}`);
  });

  test('a valid signature passes, for strings and bytes alike', () => {
    const header = signPayload('s3cret', CALL, BODY, NOW);
    verifySignature('s3cret', header, CALL, BODY, { now: NOW + 1000 });
    verifySignature('s3cret', header, CALL, Buffer.from(BODY), { now: NOW - 1000 });
    verifySignature('s3cret', signPayload('s3cret', CALL, '', NOW), CALL, '', { now: NOW });
  });

  test('missing, malformed, stale and mismatched signatures are refused', () => {
    const header = signPayload('s3cret', CALL, BODY, NOW);
    const verify = (h: string | undefined, body = BODY, now = NOW, secret = 's3cret') =>
      verifySignature(secret, h, CALL, body, { now });
    rejectsWith('missing', () => verify(undefined));
    rejectsWith('missing', () => verify(' '));
    rejectsWith('malformed', () => verify('garbage'));
    rejectsWith('malformed', () => verify(`t=${NOW}`));
    rejectsWith('malformed', () => verify(`t=abc,v2=${'0'.repeat(64)}`));
    rejectsWith('stale', () => verify(header, BODY, NOW + 300_001));
    rejectsWith('stale', () =>
      verifySignature('s3cret', header, CALL, BODY, { now: NOW - 2000, toleranceMs: 1000 }),
    );
    rejectsWith('mismatch', () => verify(header, BODY, NOW, 'other'));
    rejectsWith('mismatch', () => verify(header, `${BODY} `));
  });

  test('a signed call replayed as another op, branch or transaction is refused', () => {
    const header = signPayload('s3cret', CALL, BODY, NOW);
    for (const other of [
      { ...CALL, op: 'rollback' },
      { ...CALL, branchId: '02' },
      { ...CALL, gid: 'order-43' },
      // The separators cannot be shifted between fields: ids never contain a newline.
      { gid: 'order-42\n01', branchId: 'commit', op: '' },
    ]) {
      rejectsWith('mismatch', () => verifySignature('s3cret', header, other, BODY, { now: NOW }));
    }
  });

  test('rotation: any of several secrets, any of several v2 entries', () => {
    const header = signPayload('new', CALL, BODY, NOW);
    verifySignature(['old', 'new'], header, CALL, BODY, { now: NOW });
    const old = signPayload('old', CALL, BODY, NOW).split(',')[1] ?? '';
    verifySignature('old', `${header},${old}`, CALL, BODY, { now: NOW });
  });

  test('an empty secret is a programming error', () => {
    assert.throws(() => signPayload('', CALL, BODY, NOW), TypeError);
  });
});
