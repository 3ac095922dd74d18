/**
 * The DTM routes validate a body with its schema (@accord/core/schemas), then translate it
 * by hand (dtm-body.ts), which checks the same fields again for its direct callers. The
 * two must agree: what DTM's SDKs send passes both, what either refuses for its type the
 * other refuses too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { ValidationError } from '@accord/core';
import {
  DTM_LIMITS,
  dtmTransBodySchema,
  RetryOptionsSchema,
  TransactionOptionsInputSchema,
} from '@accord/core/schemas';
import { toDtmCreate } from './dtm-body.js';

const A = 'http://127.0.0.1:1/a';
const validate = new Ajv({ strict: false, coerceTypes: false }).compile(dtmTransBodySchema(8));

function parserAccepts(body: Record<string, unknown>): boolean {
  try {
    toDtmCreate(body, 300_000);
    return true;
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return false;
  }
}

/** Bodies as DTM's SDKs write them: Go's nil slices and maps, zero values, fields Accord ignores. */
const SENT_BY_DTM: Record<string, Record<string, unknown>> = {
  'Go saga': {
    gid: '1234',
    trans_type: 'saga',
    steps: [{ action: A, compensate: '' }],
    payloads: ['{"amount":30}'],
    custom_data: '',
    protocol: 'http',
    wait_result: false,
    timeout_to_fail: 0,
    retry_limit: 0,
    ext_data: '',
    rollback_reason: '',
  },
  'Go tcc prepare': {
    gid: 'g',
    trans_type: 'tcc',
    steps: null,
    payloads: null,
    branch_headers: null,
  },
  'msg with a check-back': {
    gid: 'g',
    trans_type: 'msg',
    steps: [{ action: A, data: '{}' }],
    query_prepared: A,
    request_timeout: 3,
    retry_interval: 10,
    branch_headers: { 'x-tenant': 't1' },
  },
  'concurrent saga': {
    gid: 'g',
    trans_type: 'saga',
    steps: [{ action: A }, { action: A }],
    custom_data: '{"concurrent":true,"orders":{"1":[0]}}',
    concurrent: true,
    timeout_to_fail: null,
  },
};

/** Bodies whose field types are wrong: refused by the schema and by the translation. */
const WRONG_TYPES: Record<string, Record<string, unknown>> = {
  'no gid': { trans_type: 'saga' },
  'empty gid': { gid: '', trans_type: 'saga' },
  'gid outside the native rules': { gid: 'a b/c', trans_type: 'saga' },
  'steps not a list': { gid: 'g', trans_type: 'saga', steps: {} },
  'step value not a string': { gid: 'g', trans_type: 'saga', steps: [{ action: A, n: 1 }] },
  'step without action': { gid: 'g', trans_type: 'saga', steps: [{ compensate: A }] },
  'payload not a string': { gid: 'g', trans_type: 'saga', steps: [{ action: A }], payloads: [1] },
  'custom_data not text': { gid: 'g', trans_type: 'saga', custom_data: {} },
  'negative seconds': { gid: 'g', trans_type: 'saga', timeout_to_fail: -1 },
  'fractional seconds': { gid: 'g', trans_type: 'saga', request_timeout: 1.5 },
  'seconds in text': { gid: 'g', trans_type: 'saga', retry_interval: '5' },
  'negative retry_limit': { gid: 'g', trans_type: 'saga', retry_limit: -1 },
  'retry_limit null': { gid: 'g', trans_type: 'saga', retry_limit: null },
  'retry_limit too big': { gid: 'g', trans_type: 'saga', retry_limit: 1_000_001 },
  // Once stored as an infinite timeout (found by the fuzzer).
  'seconds past the native limit': { gid: 'g', trans_type: 'saga', request_timeout: 1e308 },
  'timeout past the native limit': { gid: 'g', trans_type: 'saga', timeout_to_fail: 2_592_001 },
  'header not a string': { gid: 'g', trans_type: 'saga', branch_headers: { a: 1 } },
  'query_prepared not text': { gid: 'g', trans_type: 'msg', query_prepared: 1 },
  'rollback_reason not text': { gid: 'g', trans_type: 'saga', rollback_reason: false },
};

describe('the DTM transaction body: schema and translation agree', () => {
  it('limits each field as the native option it becomes', () => {
    const options = TransactionOptionsInputSchema.properties;
    const retry = RetryOptionsSchema.properties;
    const timeout = options.timeoutMs.anyOf[0] as { maximum: number };
    assert.equal(DTM_LIMITS.timeout_to_fail * 1000, timeout.maximum);
    assert.equal(DTM_LIMITS.request_timeout * 1000, options.requestTimeoutMs.maximum);
    assert.equal(DTM_LIMITS.retry_interval * 1000, retry.firstDelayMs.maximum);
    assert.equal(DTM_LIMITS.retry_limit, retry.maxAttempts.maximum);
  });

  for (const [name, body] of Object.entries(SENT_BY_DTM)) {
    it(`both accept: ${name}`, () => {
      assert.ok(validate(body), JSON.stringify(validate.errors));
      assert.ok(parserAccepts(body));
    });
  }
  for (const [name, body] of Object.entries(WRONG_TYPES)) {
    it(`both refuse: ${name}`, () => {
      assert.equal(validate(body), false, 'the schema accepted it');
      assert.equal(parserAccepts(body), false, 'the translation accepted it');
    });
  }
});
