/**
 * TCC for REST requests: the participant links a client asks the coordinator to confirm
 * or cancel, checked one by one, turned into a `tcc-rest` transaction whose gid is the
 * hash of the links (so a repeated request finds the decision already taken), and the
 * outcome of each link read back from the stored transaction.
 */
import { createHash } from 'node:crypto';
import type { BranchOp, FieldIssue, NewTransaction, TransactionSnapshot } from '@accord/core';
import { newOp, ValidationError } from '@accord/core';
import type { PendingHost } from '../outbound/target-policy.js';
import type { LinkOutcome } from '@accord/core/schemas';
import type { ParticipantLink } from '../outbound/tcc-rest-calls.js';
import { linkPayload } from '../outbound/tcc-rest-calls.js';
import type { CreateContext } from './create-request.js';
import { fingerprintOf } from './create-request.js';

/** The body of `PUT /tcc/coordinator/confirm` and `/cancel` as the schema lets it through. */
export interface TccRestBody {
  participantLinks: Array<{ uri?: unknown; expires?: unknown }>;
}

/** What became of one participant link. */
export type { LinkOutcome };

/** One link's outcome, as a 409 answer lists it. */
export interface LinkReport {
  readonly uri: string;
  readonly expires: string;
  readonly outcome: LinkOutcome;
}

/** Farthest from the epoch a Date reaches, ms. */
const MAX_TIME = 8.64e15;

/** The expiry in epoch ms, NaN when it is not a time a Date can hold. */
function expiryOf(value: unknown): number {
  if (typeof value === 'number' && Math.abs(value) <= MAX_TIME) return value;
  if (typeof value === 'string') return Date.parse(value);
  return Number.NaN;
}

/**
 * Checks every link (absolute http(s) URI the outbound policy admits, a valid expiry, no
 * duplicates) and returns them; throws a {@link ValidationError} whose messages name the
 * bad links.
 */
export async function checkLinks(
  body: TccRestBody,
  ctx: Pick<CreateContext, 'policy'>,
): Promise<ParticipantLink[]> {
  const issues: FieldIssue[] = [];
  const pending: PendingHost[] = [];
  const seen = new Set<string>();
  const links: ParticipantLink[] = [];
  body.participantLinks.forEach((link, i) => {
    const path = `/participantLinks/${i}`;
    const uri = typeof link.uri === 'string' ? link.uri : null;
    if (uri === null) {
      issues.push({ path: `${path}/uri`, message: 'link without a uri: a string is required' });
      return;
    }
    const problem = ctx.policy.checkUrl(uri, { path: `${path}/uri`, list: pending }, 'http');
    if (problem) issues.push({ path: `${path}/uri`, message: `link ${uri}: ${problem}` });
    if (seen.has(uri)) issues.push({ path: `${path}/uri`, message: `link ${uri} is listed twice` });
    seen.add(uri);
    const expires = expiryOf(link.expires);
    if (Number.isNaN(expires)) {
      issues.push({
        path: `${path}/expires`,
        message: `link ${uri}: expires must be an ISO date-time or epoch milliseconds`,
      });
    }
    links.push({ uri, expires });
  });
  if (issues.length === 0) {
    for (const issue of await ctx.policy.checkPending(pending)) {
      const index = Number(/^\/participantLinks\/(\d+)/.exec(issue.path)?.[1]);
      const uri = links[index]?.uri ?? '';
      issues.push({ path: issue.path, message: `link ${uri}: ${issue.message}` });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return links;
}

/** The gid of a set of links: the same links, in any order, are the same transaction. */
export function tccRestGid(links: readonly ParticipantLink[]): string {
  const uris = links.map((l) => l.uri).sort();
  return `tcc-rest-${createHash('sha256').update(uris.join('\n')).digest('hex').slice(0, 40)}`;
}

/** The branch id of the i-th link (in the order the links are sorted by uri). */
function branchIds(links: readonly ParticipantLink[]): Map<string, string> {
  const uris = links.map((l) => l.uri).sort();
  return new Map(uris.map((uri, i) => [uri, `p${String(i + 1).padStart(2, '0')}`]));
}

/** The prepared transaction of a set of links, with nothing registered yet. */
export function tccRestTransaction(
  links: readonly ParticipantLink[],
  ctx: Pick<CreateContext, 'config'>,
): NewTransaction {
  const defaults = ctx.config.defaults;
  return {
    gid: tccRestGid(links),
    mode: 'tcc-rest',
    options: {
      requestTimeoutMs: defaults.requestTimeoutMs,
      retry: defaults.retry,
      timeoutMs: defaults.preparedTimeoutMs,
      concurrent: true,
      headers: {},
    },
    checkUrl: null,
    steps: [],
    fingerprint: fingerprintOf({ mode: 'tcc-rest', uris: links.map((l) => l.uri).sort() }),
  };
}

/** Each link's confirm (`PUT`) and cancel (`DELETE`) op; the payload records the link. */
export function linkOps(links: readonly ParticipantLink[]): BranchOp[][] {
  const ids = branchIds(links);
  return links.map((link) => {
    const target = { url: link.uri, payload: linkPayload(link) };
    const id = ids.get(link.uri) ?? link.uri;
    return [newOp(id, 'confirm', target, 0, 0), newOp(id, 'cancel', target, 0, 0)];
  });
}

/**
 * What became of each link, in the order the client gave them. A link the transaction
 * never registered (a crash cut its registration short, and the transaction was
 * cancelled for it) was never confirmed: its participant cancels by itself.
 */
export function linkReports(
  snapshot: TransactionSnapshot,
  links: readonly ParticipantLink[],
): LinkReport[] {
  const { tx, ops } = snapshot;
  // A confirm still pending in a transaction that went the cancel way was never sent.
  const undone = tx.status === 'aborting' || tx.status === 'failed';
  return links.map((link) => {
    const confirm = ops.find((o) => o.op === 'confirm' && o.url === link.uri);
    const expires = new Date(link.expires).toISOString();
    const outcome = confirm === undefined ? 'cancelled' : outcomeOf(confirm, undone);
    return { uri: link.uri, expires, outcome };
  });
}

function outcomeOf(confirm: BranchOp, undone: boolean): LinkOutcome {
  if (confirm.status === 'succeeded') return 'confirmed';
  if (confirm.status === 'failed') {
    return confirm.lastError?.httpStatus === 404 ? 'cancelled' : 'timed-out';
  }
  return undone ? 'cancelled' : 'pending';
}

/**
 * The answer to a confirm: 204 when every link was confirmed, 404 when none was and
 * none is still pending (all cancelled or timed out), 409 otherwise (a heuristic
 * outcome, or one not known yet).
 */
export function confirmStatus(reports: readonly LinkReport[]): 204 | 404 | 409 {
  if (reports.every((r) => r.outcome === 'confirmed')) return 204;
  if (reports.every((r) => r.outcome === 'cancelled' || r.outcome === 'timed-out')) return 404;
  return 409;
}
