/**
 * Nudges a generated body toward one the coordinator accepts: the schema says what is
 * well-formed, the mode rules (which fields go with which mode, one pair of branch
 * targets) are code. Applied to part of the well-formed requests, so the run also
 * creates, registers, submits and aborts, and the store has something to guard.
 */
import type { Choices } from './mutations.js';

type Body = Record<string, unknown>;
type Shaper = (body: Body, c: Choices, liveUrl: string) => void;

const createTransaction: Shaper = (body, c, liveUrl) => {
  const mode = c.pick(['saga', 'tcc', 'xa', 'msg'] as const);
  body['mode'] = mode;
  const options = body['options'] as Body | undefined;
  if (options) {
    delete options['headers'];
    delete options['retry'];
  }
  if (mode === 'tcc' || mode === 'xa') {
    delete body['steps'];
    delete body['checkUrl'];
    return;
  }
  const steps = ((body['steps'] as Body[] | undefined) ?? []).slice(0, 3);
  if (steps.length === 0) steps.push({ action: liveUrl });
  steps.forEach((step, i) => {
    step['id'] = `s${i}`;
    delete step['dependsOn'];
    if (mode === 'msg') delete step['compensate'];
  });
  body['steps'] = steps;
  if (mode === 'msg') body['checkUrl'] = liveUrl;
  else delete body['checkUrl'];
};

const registerBranch: Shaper = (body, c) => {
  const [keep, drop] =
    c.below(2) === 0
      ? [
          ['confirm', 'cancel'],
          ['commit', 'rollback'],
        ]
      : [
          ['commit', 'rollback'],
          ['confirm', 'cancel'],
        ];
  for (const name of drop) delete body[name];
  for (const name of keep) body[name] ??= 'http://127.0.0.1:1/unused';
};

const notify: Shaper = (body) => {
  delete body['headers'];
};

/** A DTM prepare or submit: a mode, and steps only where the mode has them. */
const dtmTransaction: Shaper = (body, c, liveUrl) => {
  const mode = c.pick(['saga', 'tcc', 'xa', 'msg'] as const);
  body['trans_type'] = mode;
  delete body['branch_headers'];
  delete body['custom_data'];
  if (mode === 'tcc' || mode === 'xa') {
    for (const key of ['steps', 'payloads', 'query_prepared']) delete body[key];
    return;
  }
  const steps = ((body['steps'] as Body[] | null | undefined) ?? []).slice(0, 3);
  if (steps.length === 0) steps.push({ action: liveUrl });
  for (const step of steps) if (mode === 'msg') delete step['compensate'];
  body['steps'] = steps;
  body['payloads'] = steps.map(() => '{}');
  if (mode === 'msg') body['query_prepared'] = liveUrl;
  else delete body['query_prepared'];
};

/** A DTM registration: targets for both tcc (confirm, cancel) and xa (url). */
const dtmRegister: Shaper = (body, _c, liveUrl) => {
  for (const name of ['confirm', 'cancel', 'url']) body[name] ??= liveUrl;
};

/**
 * A reconciliation job over two SQLite files that do not exist (its runs fail at once,
 * touching nothing), under one of a few ids so that runs, reads and deletes find it.
 */
const reconciliation: Shaper = (body, c, liveUrl) => {
  body['id'] = c.pick(['fuzz-a', 'fuzz-b'] as const);
  const source = { type: 'sql', url: 'sqlite:/nonexistent/accord-fuzz.db', query: 'select 1' };
  body['left'] = source;
  body['right'] = source;
  body['mode'] = 'full';
  delete body['windowMs'];
  delete body['schedule'];
  body['repair'] = { different: liveUrl };
};

/** Shapers by `METHOD path`. */
export const SHAPERS: Readonly<Record<string, Shaper>> = {
  'POST /v1/transactions': createTransaction,
  'POST /v1/transactions/{gid}/branches': registerBranch,
  'POST /v1/notifications': notify,
  'POST /v1/reconciliations': reconciliation,
  'POST /api/dtmsvr/prepare': dtmTransaction,
  'POST /api/dtmsvr/submit': dtmTransaction,
  'POST /api/dtmsvr/registerBranch': dtmRegister,
  'POST /api/dtmsvr/registerTccBranch': dtmRegister,
  'POST /api/dtmsvr/registerXaBranch': dtmRegister,
};
