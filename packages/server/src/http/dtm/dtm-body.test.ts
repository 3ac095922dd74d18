import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '@accord/core';
import { toDtmCreate } from './dtm-body.js';
import { inDtmTerms } from './dtm-create.js';

const A = 'http://127.0.0.1:1/a';
const C = 'http://127.0.0.1:1/c';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    return error.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ValidationError');
}

describe('DTM body translation', () => {
  it('maps a saga with payloads, options and DTM step ids', () => {
    const out = toDtmCreate(
      {
        gid: 'g1',
        trans_type: 'saga',
        steps: [{ action: A, compensate: C }, { action: A }],
        payloads: ['{"amount":30}', ''],
        timeout_to_fail: 10,
        request_timeout: 2,
        retry_interval: 5,
        retry_limit: 4,
        branch_headers: { 'x-tenant': 't1' },
        wait_result: true,
      },
      300_000,
    );
    assert.deepEqual(out.body.steps, [
      { id: '01', action: A, compensate: C },
      { id: '02', action: A },
    ]);
    assert.deepEqual(out.payloads, ['{"amount":30}', '']);
    assert.equal(out.waitResult, true);
    assert.deepEqual(out.body.options, {
      timeoutMs: 10_000,
      requestTimeoutMs: 2_000,
      concurrent: false,
      headers: { 'x-tenant': 't1' },
      retry: { firstDelayMs: 5_000, ongoingDelayMs: 5_000, maxDelayMs: 300_000, maxAttempts: 4 },
    });
  });

  it('turns custom_data concurrent + orders into step dependencies', () => {
    const out = toDtmCreate(
      {
        gid: 'g',
        trans_type: 'saga',
        steps: [{ action: A }, { action: A }, { action: A }],
        payloads: ['{}', '{}', '{}'],
        custom_data: JSON.stringify({ concurrent: true, orders: { 2: [0, 1] } }),
      },
      1000,
    );
    assert.equal(out.body.options?.concurrent, true);
    assert.deepEqual(
      out.body.steps?.map((s) => s.dependsOn),
      [undefined, undefined, ['01', '02']],
    );
  });

  it('takes a step payload from its data field when payloads are absent', () => {
    const out = toDtmCreate(
      { gid: 'g', trans_type: 'msg', steps: [{ action: A, data: '{"x":1}' }] },
      1000,
    );
    assert.deepEqual(out.payloads, ['{"x":1}']);
  });

  it("maps msg custom_data.delay (seconds after the submit) onto the message's delayMs", () => {
    const msg = (custom: string) =>
      toDtmCreate(
        { gid: 'g', trans_type: 'msg', steps: [{ action: A }], custom_data: custom },
        1000,
      );
    assert.equal(msg('{"delay":10}').body.options?.delayMs, 10_000);
    assert.equal(msg('{"delay":0}').body.options?.delayMs, undefined);
    assert.deepEqual(
      issuesOf(() => msg('{"delay":1.5}')),
      ['/custom_data/delay: must be a whole number of seconds up to 2592000'],
    );
    assert.deepEqual(
      issuesOf(() => msg('{"delay":"10"}')),
      ['/custom_data/delay: must be a whole number of seconds up to 2592000'],
    );
  });

  it('refuses the workflow mode by name and bad orders', () => {
    assert.deepEqual(
      issuesOf(() => toDtmCreate({ gid: 'g', trans_type: 'workflow' }, 1000)),
      ["/trans_type: DTM's workflow mode is not supported: use saga, tcc, xa or msg"],
    );
    assert.match(
      issuesOf(() =>
        toDtmCreate(
          {
            gid: 'g',
            trans_type: 'saga',
            steps: [{ action: A }],
            custom_data: '{"concurrent":true,"orders":{"0":[5]}}',
          },
          1000,
        ),
      ).join(),
      /\/custom_data\/orders\/0: must list step indexes/,
    );
    assert.deepEqual(
      issuesOf(() => toDtmCreate({ trans_type: 'saga', steps: [{ compensate: C }] }, 1000)),
      ['/gid: is required (get one from newGid)', '/steps/0/action: is required'],
    );
  });

  it('names DTM fields in issues the native checks found', () => {
    assert.deepEqual(
      inDtmTerms([
        { path: '/checkUrl', message: 'x' },
        { path: '/options/headers/Host', message: 'y' },
        { path: '/steps/0/action', message: 'z' },
      ]).map((i) => i.path),
      ['/query_prepared', '/branch_headers/Host', '/steps/0/action'],
    );
  });
});
