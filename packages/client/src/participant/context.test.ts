import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readAccordContext } from './context.js';

const HEADERS = {
  'accord-gid': 'order-42',
  'accord-branch': '01',
  'accord-op': 'cancel',
  'accord-mode': 'tcc',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};

describe('readAccordContext', () => {
  test('reads node headers, fetch Headers and mixed-case records', () => {
    const expected = {
      gid: 'order-42',
      branchId: '01',
      op: 'cancel',
      mode: 'tcc',
      traceparent: HEADERS.traceparent,
    };
    assert.deepEqual(readAccordContext(HEADERS), expected);
    assert.deepEqual(readAccordContext(new Headers(HEADERS)), expected);
    assert.deepEqual(
      readAccordContext({
        'Accord-Gid': 'order-42',
        'Accord-Branch': '01',
        'Accord-Op': 'cancel',
        'Accord-Mode': 'tcc',
        Traceparent: HEADERS.traceparent,
      }),
      expected,
    );
  });

  test('traceparent is optional', () => {
    const { traceparent: _, ...rest } = HEADERS;
    assert.equal(readAccordContext(rest).traceparent, null);
  });

  test('names the missing or invalid header', () => {
    const { 'accord-branch': _, ...noBranch } = HEADERS;
    assert.throws(() => readAccordContext(noBranch), {
      code: 'INVALID_REQUEST',
      message: /missing header Accord-Branch/,
    });
    assert.throws(() => readAccordContext({ ...HEADERS, 'accord-op': 'undo' }), {
      code: 'INVALID_REQUEST',
      message:
        /Accord-Op is "undo"; expected one of try, action, compensate, confirm, cancel, commit, rollback, check/,
    });
    assert.throws(() => readAccordContext({ ...HEADERS, 'accord-mode': 'batch' }), {
      message: /Accord-Mode/,
    });
    assert.throws(() => readAccordContext({}), { message: /missing header Accord-Gid/ });
  });
});
