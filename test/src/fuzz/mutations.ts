/**
 * Hostile changes to a well-formed request: wrong types, deep nesting, huge strings,
 * control characters and invalid UTF-8, bad percent-encoding, garbage cursors, duplicate
 * keys, wrong content types and the like. Each takes its choices from a seeded generator,
 * so a failing case replays from fast-check's seed.
 */
import type { RequestDraft } from './raw-request.js';
import { encodeValue } from './raw-request.js';

/** A seeded pseudo-random source (mulberry32). */
export class Choices {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  }
  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

type Path = Array<string | number>;

/** Every path to a value inside `value` (the root is `[]`). */
function paths(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (value !== null && typeof value === 'object' && out.length < 200) {
    for (const [key, child] of Object.entries(value)) {
      paths(child, [...at, Array.isArray(value) ? Number(key) : key], out);
    }
  }
  return out;
}

function setAt(root: unknown, path: Path, next: unknown): unknown {
  if (path.length === 0) return next;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = next;
  return copy;
}

function parsed(draft: RequestDraft): unknown {
  return typeof draft.body === 'string' ? (JSON.parse(draft.body) as unknown) : undefined;
}

const WRONG_VALUES: readonly unknown[] = [
  0,
  -1,
  1.5,
  1e308,
  true,
  null,
  '',
  'x',
  [],
  {},
  [[]],
  { a: {} },
  '1',
];
const CONTROL = [
  '\u0000',
  '\u0007',
  '\n\r',
  '\u001b[2J',
  '\u007f',
  '\u2028',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u202e',
];
const BAD_PERCENT = [
  '%',
  '%z',
  '%zz',
  '%ff',
  '%c0%80',
  '%ed%a0%80',
  '%00',
  '%2F',
  '%2e%2e',
  '%E0%A4%A',
  '%%',
  '%u0041',
];
const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];
const CONTENT_TYPES = [
  undefined,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json-patch+json',
  'application/jsonx',
  'application/octet-stream',
  '*/*',
  'application/json; charset=latin1',
];
const RAW_NUMBERS = [
  '1e400',
  '-0',
  '1.0',
  '9007199254740993',
  '1e-400',
  '0x10',
  'NaN',
  '01',
  '-',
  '1e',
  'Infinity',
];

/** A cursor that no page returned. */
function garbageCursor(c: Choices): string {
  const forged = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  return c.pick([
    () => forged(`${c.below(2 ** 31)}:fz-${c.below(9)}`),
    () => forged(`99999999999999999999:x`),
    () => forged(`-1:`),
    () => Buffer.from([c.below(256), c.below(256), c.below(256)]).toString('base64'),
    () => '%ff%fe',
    () => '====',
    () => 'a'.repeat(600),
    () => encodeValue('\u0000:\u0000'),
  ])();
}

/** Applies the named mutation to `draft` in place. */
export const MUTATIONS: Readonly<Record<string, (draft: RequestDraft, c: Choices) => void>> = {
  'wrong-type': (d, c) => {
    const body = parsed(d);
    if (body === undefined) return void d.query.push(['limit', encodeValue(c.pick(WRONG_VALUES))]);
    d.body = JSON.stringify(setAt(body, c.pick(paths(body)), c.pick(WRONG_VALUES)));
  },
  'unknown-field': (d, c) => {
    const body = parsed(d);
    const objects = body === undefined ? [] : paths(body).filter((p) => isObject(get(body, p)));
    if (objects.length === 0) return void d.query.push([`zz${c.below(9)}`, '1']);
    const at = c.pick(objects);
    d.body = JSON.stringify(setAt(body, [...at, `zz${c.below(9)}`], 1));
  },
  'drop-required': (d, c) => {
    const body = parsed(d);
    if (!isObject(body)) return void (d.body = undefined);
    const keys = Object.keys(body);
    if (keys.length > 0) delete body[c.pick(keys)];
    d.body = JSON.stringify(body);
  },
  'deep-nesting': (d, c) => {
    const depth = c.pick([63, 64, 65, 100, 5_000, 100_000]);
    const [open, close] = c.pick([
      ['[', ']'],
      ['{"a":', '}'],
    ] as const);
    const nest = open.repeat(depth) + (open === '[' ? '' : '1') + close.repeat(depth);
    const text = typeof d.body === 'string' && d.body.startsWith('{') ? d.body : '{}';
    d.body = text === '{}' ? `{"zz":${nest}}` : `{"zz":${nest},${text.slice(1)}`;
    d.headers['content-type'] = 'application/json';
  },
  'huge-string': (d, c) => {
    const size = c.pick([129, 2_049, 70_000]);
    const names = Object.keys(d.params);
    if (names.length > 0 && c.below(3) === 0)
      return void (d.params[c.pick(names)] = 'g'.repeat(size));
    const body = parsed(d);
    if (body === undefined) return void d.query.push(['cursor', 'c'.repeat(size)]);
    d.body = JSON.stringify(setAt(body, c.pick(paths(body)), 'x'.repeat(size)));
  },
  'control-chars': (d, c) => {
    const text = Array.from({ length: 1 + c.below(4) }, () => c.pick(CONTROL)).join('');
    const names = Object.keys(d.params);
    const body = parsed(d);
    if (body === undefined || (names.length > 0 && c.below(3) === 0)) {
      if (names.length > 0) d.params[c.pick(names)] = encodeValue(text);
      else d.query.push(['status', encodeValue(text)]);
      return;
    }
    d.body = JSON.stringify(setAt(body, c.pick(paths(body)), text));
  },
  'invalid-utf8': (d, c) => {
    const text = typeof d.body === 'string' ? d.body : '{"reason":"x"}';
    const quote = text.indexOf('"', c.below(text.length));
    const at = quote < 0 ? c.below(text.length + 1) : quote + 1;
    const bytes = Buffer.from(c.pick(INVALID_UTF8));
    d.body = Buffer.concat([Buffer.from(text.slice(0, at)), bytes, Buffer.from(text.slice(at))]);
    d.headers['content-type'] = 'application/json';
  },
  'bad-percent': (d, c) => {
    const junk = c.pick(BAD_PERCENT) + (c.below(2) === 0 ? 'x' : '');
    const names = Object.keys(d.params);
    if (names.length > 0 && c.below(2) === 0) d.params[c.pick(names)] = junk;
    else d.query.push([c.pick(['limit', 'cursor', 'count', 'status', junk]), junk]);
  },
  'garbage-cursor': (d, c) => void d.query.push(['cursor', garbageCursor(c)]),
  'duplicate-keys': (d, c) => {
    const body = parsed(d);
    if (!isObject(body) || Object.keys(body).length === 0) {
      const name = c.pick(['limit', 'status', 'count', 'cursor', 'mode']);
      d.query.push([name, '1'], [name, '2']);
      return;
    }
    const key = c.pick(Object.keys(body));
    const other = JSON.stringify(c.pick(WRONG_VALUES));
    const text = d.body as string;
    const extra = `${JSON.stringify(key)}:${other}`;
    d.body = c.below(2) === 0 ? `{${extra},${text.slice(1)}` : `${text.slice(0, -1)},${extra}}`;
  },
  'content-type': (d, c) => {
    const type = c.pick(CONTENT_TYPES);
    d.body ??= '{}';
    if (type === undefined) delete d.headers['content-type'];
    else d.headers['content-type'] = type;
    if (c.below(4) === 0) d.headers['content-encoding'] = c.pick(['gzip', 'br', 'identity', 'x']);
  },
  auth: (d, c) => {
    const header = c.pick([
      undefined,
      'Bearer wrong-token-0000',
      'Basic YTpi',
      'Bearer',
      'bearer ' + 'x'.repeat(300),
    ]);
    if (header === undefined) delete d.headers['authorization'];
    else d.headers['authorization'] = header;
  },
  truncated: (d, c) => {
    const text = typeof d.body === 'string' ? d.body : '{"mode":"saga"}';
    d.body = text.slice(0, c.below(text.length));
    d.headers['content-type'] = 'application/json';
  },
  proto: (d, c) => {
    const text = typeof d.body === 'string' && d.body.startsWith('{') ? d.body : '{}';
    const poison = c.pick([
      '"__proto__":{"polluted":1}',
      '"constructor":{"prototype":{"polluted":1}}',
    ]);
    d.body = text === '{}' ? `{${poison}}` : `{${poison},${text.slice(1)}`;
    d.headers['content-type'] = 'application/json';
    if (c.below(2) === 0) {
      d.query.push(['__proto__', 'x'], ['constructor%5Bprototype%5D', '1'], ['toString', '1']);
    }
  },
  'number-edge': (d, c) => {
    const body = parsed(d);
    if (body === undefined)
      return void d.query.push([c.pick(['limit', 'count']), c.pick(RAW_NUMBERS)]);
    const marked = JSON.stringify(setAt(body, c.pick(paths(body)), '\u0001NUM\u0001'));
    d.body = marked.replace('"\\u0001NUM\\u0001"', c.pick(RAW_NUMBERS));
  },
  'wrong-method': (d, c) => {
    d.method = c.pick(['PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  },
  'unknown-path': (d, c) => {
    d.path = c.pick([
      '/v2/x',
      '/v1/transactions/',
      '/v1/transactions/a/b/c',
      '//',
      '/v1',
      `/v1/${c.below(99)}`,
      '/.%2e/etc',
    ]);
  },
  'big-header': (d) => {
    d.headers['x-fill'] = 'a'.repeat(20_000);
  },
  'empty-body': (d) => {
    d.body = '';
    d.headers['content-type'] = 'application/json';
  },
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function get(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) node = (node as Record<string | number, unknown>)[key];
  return node;
}
