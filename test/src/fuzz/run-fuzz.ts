/**
 * One fuzz run: fast-check draws requests, each is sent to the coordinator and its reply
 * checked against the contract; at the end the store must hold exactly what 2xx replies
 * showed, and nothing from a refused request.
 */
import fc from 'fast-check';
import type { RawReply } from './contract-check.js';
import { readStore, type FuzzWorld, type StoreCounts } from './fuzz-world.js';
import type { RawRequest } from './raw-request.js';
import { requests } from './request-plans.js';

/** What a run did. */
export interface FuzzSummary {
  readonly requests: number;
  readonly seconds: number;
  readonly seed: number;
  readonly statuses: ReadonlyMap<number, number>;
  readonly kinds: ReadonlyMap<string, number>;
  /** Requests per API: `/v1`, `/api` (DTM), `/tcc` (TCC for REST), the rest. */
  readonly apis: ReadonlyMap<string, number>;
  readonly before: StoreCounts;
  readonly after: StoreCounts;
  readonly accepted: StoreCounts;
  /** fast-check's report of the first request whose reply broke the contract. */
  readonly failure: string | null;
  /** Differences between the store and the 2xx replies. */
  readonly storeProblems: readonly string[];
}

/** A request in a few lines, for a failure report. */
export function describe(request: RawRequest): string {
  const body =
    request.body === undefined ? '' : JSON.stringify(request.body.toString('utf8').slice(0, 400));
  const headers = Object.entries(request.headers)
    .map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…` : v}`)
    .join('; ');
  return `[${request.kind}] ${request.method} ${request.path.slice(0, 300)} {${headers}} ${body}`;
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Creates a few transactions through the APIs first, so routes by gid meet real ones. */
async function seedStore(world: FuzzWorld): Promise<void> {
  const [ok] = world.targets.participantUrls;
  const bodies = ['saga', 'tcc', 'xa', 'msg'].map((mode, i) => ({
    gid: world.targets.gids[i],
    mode,
    ...(mode === 'saga' || mode === 'msg' ? { steps: [{ id: 'a', action: ok }] } : {}),
    ...(mode === 'msg' && { checkUrl: ok }),
  }));
  for (const body of bodies) {
    const request = {
      method: 'POST',
      path: '/v1/transactions',
      headers: {
        authorization: `Bearer ${world.targets.adminToken}`,
        'content-type': 'application/json',
      },
      body: Buffer.from(JSON.stringify(body)),
      kind: 'seed',
    };
    const reply = await world.send(request);
    if (reply.status !== 201) throw new Error(`seeding answered ${reply.status}: ${reply.text}`);
    world.record(request, reply);
  }
  // One through the DTM-compatible API, so native replies show its options too.
  const gid = world.targets.gids[4]!;
  const dtm = await world.send({
    method: 'POST',
    path: '/api/dtmsvr/prepare',
    headers: {
      authorization: `Bearer ${world.targets.adminToken}`,
      'content-type': 'application/json',
    },
    body: Buffer.from(JSON.stringify({ gid, trans_type: 'tcc' })),
    kind: 'seed',
  });
  if (dtm.status !== 200) throw new Error(`seeding answered ${dtm.status}: ${dtm.text}`);
  world.accepted.set(gid, new Set());
}

/** The API a request path belongs to. */
function apiOf(path: string): string {
  const first = /^\/(v1|api|tcc)\//.exec(path)?.[1];
  return first === undefined ? 'other' : `/${first}`;
}

/** Compares the store with the ledger of 2xx replies. */
function storeProblems(world: FuzzWorld, stored: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  for (const [gid, ops] of stored) {
    const accepted = world.accepted.get(gid);
    if (!accepted) {
      problems.push(`stored, never accepted: ${gid}`);
      continue;
    }
    // The coordinator adds the check-back op of a msg itself.
    const extra = [...ops].filter((op) => !accepted.has(op) && op !== '_check:check');
    if (extra.length > 0) problems.push(`${gid}: stored ops never accepted: ${extra.join(', ')}`);
  }
  for (const gid of world.accepted.keys()) {
    if (!stored.has(gid)) problems.push(`accepted, not stored: ${gid}`);
  }
  return problems;
}

/** Compares the stored pause list with the pauses and resumes answered 2xx. */
async function pauseProblems(world: FuzzWorld): Promise<string[]> {
  const page = await world.server.store.kv.list('participants.paused', { limit: 1000 });
  const stored = page.items.map((e) => e.key).sort();
  const expected = [...world.paused].sort();
  return JSON.stringify(stored) === JSON.stringify(expected)
    ? []
    : [`paused participants stored ${stored.join(',')}, answered ${expected.join(',')}`];
}

/** The failing request and what was wrong, without fast-check's (huge) counterexample. */
function failureReport(details: fc.RunDetails<[RawRequest]>): string {
  const error = details.errorInstance;
  const why = error instanceof Error ? error.message : String(error);
  return `${why}\n(after ${details.numRuns} requests; replay with --seed ${details.seed})`;
}

/** Runs `runs` requests against `world`. */
export async function runFuzz(
  world: FuzzWorld,
  options: { runs: number; seed?: number },
): Promise<FuzzSummary> {
  await seedStore(world);
  const before = await readStore(world.server.store);
  const statuses = new Map<number, number>();
  const kinds = new Map<string, number>();
  const apis = new Map<string, number>();
  let sent = 0;
  const started = Date.now();
  const property = fc.asyncProperty(
    requests(world.routes, world.resolve, world.targets),
    async (request) => {
      let reply: RawReply;
      try {
        reply = await world.send(request);
      } catch (error) {
        throw new Error(`no reply (${String(error)})\n${describe(request)}`);
      }
      sent += 1;
      bump(statuses, reply.status);
      bump(kinds, request.kind);
      bump(apis, apiOf(request.path));
      let problem: string | null;
      try {
        world.record(request, reply);
        problem = world.check.problem(request, reply);
      } catch (error) {
        problem = `reply not readable: ${String(error)}`;
      }
      if (problem !== null) {
        throw new Error(
          `${problem}\n${describe(request)}\n→ ${reply.status} ${reply.text.slice(0, 500)}`,
        );
      }
    },
  );
  const seed = options.seed ?? Date.now() ^ (Math.random() * 2 ** 31);
  const details = await fc.check(property, { numRuns: options.runs, seed, endOnFailure: true });
  const after = await readStore(world.server.store);
  const acceptedOps = [...world.accepted.values()].reduce((n, ops) => n + ops.size, 0);
  return {
    requests: sent,
    seconds: (Date.now() - started) / 1000,
    seed,
    statuses,
    kinds,
    apis,
    before: { transactions: before.transactions, branchOps: before.branchOps },
    after: { transactions: after.transactions, branchOps: after.branchOps },
    accepted: { transactions: world.accepted.size, branchOps: acceptedOps },
    failure: details.failed ? failureReport(details) : null,
    storeProblems: [...storeProblems(world, after.ops), ...(await pauseProblems(world))],
  };
}

/** The summary as printed: totals, the status histogram, the store before and after. */
export function formatSummary(s: FuzzSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.requests / s.seconds) : s.requests;
  const histogram = [...s.statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `  ${status}  ${String(count).padStart(8)}`);
  const kinds = [...s.kinds]
    .sort(([, a], [, b]) => b - a)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  const apis = [...s.apis]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([api, count]) => `${api} ${count}`)
    .join(', ');
  const counts = (c: StoreCounts) => `${c.transactions} transactions, ${c.branchOps} branch ops`;
  return [
    `fuzz: ${s.requests} requests in ${s.seconds.toFixed(1)} s (${rate}/s), seed ${s.seed}`,
    'status     count',
    ...histogram,
    `kinds: ${kinds}`,
    `apis: ${apis}`,
    `store before:    ${counts(s.before)}`,
    `store after:     ${counts(s.after)}`,
    `2xx replies:     ${counts(s.accepted)} (the store holds these, and msg check-backs)`,
    s.storeProblems.length === 0
      ? 'store: nothing stored from refused input'
      : `store problems: ${s.storeProblems.slice(0, 20).join('; ')}`,
    s.failure === null ? 'contract: every reply held' : `contract broken:\n${s.failure}`,
  ].join('\n');
}
