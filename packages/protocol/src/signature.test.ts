import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { ReplayGuard } from './replay-guard.js';
import { signPayload, verifySignature, type SignatureProblem } from './signature.js';

const NOW = 1_750_000_000_000;
const BODY = '{"amount":5}';
const CALL = { gid: 'order-42', branchId: '01', op: 'commit', mode: 'xa' };
const NONCE = '0123456789abcdef';

function rejectsWith(problem: SignatureProblem, run: () => void): void {
  assert.throws(run, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, 'SIGNATURE_INVALID');
    assert.deepEqual((error as { details?: unknown }).details, { reason: problem });
    return true;
  });
}

describe('signatures', () => {
  test('the header is t=<ms>,n=<nonce>,v3=<hex HMAC-SHA256(secret, "<t>\\n<n>\\n<gid>\\n<branch>\\n<op>\\n<mode>\\n<body>")>', () => {
    const expected = createHmac('sha256', 's3cret')
      .update(`${NOW}\n${NONCE}\norder-42\n01\ncommit\nxa\n${BODY}`)
      .digest('hex');
    assert.equal(
      signPayload('s3cret', CALL, BODY, NOW, NONCE),
      `t=${NOW},n=${NONCE},v3=${expected}`,
    );
  });

  test('each signature gets a fresh nonce, so two sends at the same instant differ', () => {
    const a = signPayload('s3cret', CALL, BODY, NOW);
    const b = signPayload('s3cret', CALL, BODY, NOW);
    assert.match(a, /^t=\d+,n=[0-9a-f]{16},v3=[0-9a-f]{64}$/);
    assert.notEqual(a, b);
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
    rejectsWith('malformed', () => verify(`t=abc,n=${NONCE},v3=${'0'.repeat(64)}`));
    rejectsWith('malformed', () => verify(`t=${NOW},v3=${'0'.repeat(64)}`));
    rejectsWith('malformed', () => verify(`t=${NOW},n=short,v3=${'0'.repeat(64)}`));
    // The previous scheme, which bound neither the mode nor a nonce, is not accepted.
    rejectsWith('malformed', () => verify(`t=${NOW},v2=${'0'.repeat(64)}`));
    rejectsWith('stale', () => verify(header, BODY, NOW + 300_001));
    rejectsWith('stale', () =>
      verifySignature('s3cret', header, CALL, BODY, { now: NOW - 2000, toleranceMs: 1000 }),
    );
    rejectsWith('mismatch', () => verify(header, BODY, NOW, 'other'));
    rejectsWith('mismatch', () => verify(header, `${BODY} `));
    rejectsWith('mismatch', () => verify(header.replace(/n=[^,]+/, 'n=fedcba9876543210')));
  });

  test('a signed call replayed as another op, branch, transaction or mode is refused', () => {
    const header = signPayload('s3cret', CALL, BODY, NOW);
    for (const other of [
      { ...CALL, op: 'rollback' },
      { ...CALL, branchId: '02' },
      { ...CALL, gid: 'order-43' },
      { ...CALL, mode: 'saga' },
      { ...CALL, mode: 'tcc' },
      // The separators cannot be shifted between fields: ids never contain a newline.
      { gid: 'order-42\n01', branchId: 'commit', op: 'xa', mode: '' },
    ]) {
      rejectsWith('mismatch', () => verifySignature('s3cret', header, other, BODY, { now: NOW }));
    }
  });

  test('with a replay guard, the same signature passes once and is refused after', () => {
    const replay = new ReplayGuard();
    const header = signPayload('s3cret', CALL, BODY, NOW);
    verifySignature('s3cret', header, CALL, BODY, { now: NOW, replay });
    rejectsWith('replayed', () =>
      verifySignature('s3cret', header, CALL, BODY, { now: NOW + 60_000, replay }),
    );
    // The same call signed again (as every retry is) is a different signature.
    verifySignature('s3cret', signPayload('s3cret', CALL, BODY, NOW), CALL, BODY, {
      now: NOW,
      replay,
    });
    // An invalid signature is not remembered, so it cannot crowd out valid ones.
    rejectsWith('mismatch', () =>
      verifySignature('s3cret', header, { ...CALL, op: 'rollback' }, BODY, { now: NOW, replay }),
    );
    assert.equal(replay.size, 2);
  });

  test('rotation: any of several secrets, any of several v3 entries', () => {
    const header = signPayload('new', CALL, BODY, NOW);
    verifySignature(['old', 'new'], header, CALL, BODY, { now: NOW });
    const [t, n] = header.split(',');
    const old = signPayload('old', CALL, BODY, NOW, n?.slice(2)).split(',')[2] ?? '';
    verifySignature('old', `${t},${n},${old},${header.split(',')[2]}`, CALL, BODY, { now: NOW });
  });

  test('an empty secret is a programming error', () => {
    assert.throws(() => signPayload('', CALL, BODY, NOW), TypeError);
  });
});
