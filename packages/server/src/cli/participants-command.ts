/**
 * `accord participants list|pause|resume`: the target hosts a coordinator calls, their
 * recent calls, caps and pauses, and the operator's pause and resume.
 */
import { parseArgs } from 'node:util';
import type { Participant, ParticipantList } from '@accord/core/schemas';
import { apiRequest, formatTable } from './command-support.js';

/** How the sub-commands are used. */
export const PARTICIPANTS_USAGE = `  accord participants list [--json]
  accord participants pause <host:port> --reason "…" [--json]
  accord participants resume <host:port> --reason "…" [--json]`;

/** Runs one `accord participants` sub-command. */
export async function runParticipantsCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, reason: { type: 'string' } },
  });
  switch (sub) {
    case 'list': {
      const list = (await apiRequest('GET', '/v1/participants')) as ParticipantList;
      console.log(values.json ? JSON.stringify(list, null, 2) : participantsTable(list.items));
      return;
    }
    case 'pause':
    case 'resume': {
      const host = positionals[0];
      if (!host) throw new Error(`accord participants ${sub} needs a host:port`);
      if (!values.reason) throw new Error(`accord participants ${sub} needs --reason "…"`);
      const path = `/v1/participants/${encodeURIComponent(host)}/${sub}`;
      const item = (await apiRequest('POST', path, { reason: values.reason })) as Participant;
      console.log(values.json ? JSON.stringify(item, null, 2) : participantsTable([item]));
      return;
    }
    case undefined:
    case 'help':
      console.log(`usage:\n${PARTICIPANTS_USAGE}`);
      return;
    default:
      throw new Error(`accord participants: expected list, pause or resume\n${PARTICIPANTS_USAGE}`);
  }
}

/** Participants as a table for people. */
export function participantsTable(items: readonly Participant[]): string {
  if (items.length === 0) return 'no participants called in the last 5 minutes, paused or capped';
  const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
  const cap = (v: number | null) => (v === null ? '-' : String(v));
  return formatTable(
    ['HOST', 'CALLS', 'ERRORS', 'P50', 'P99', 'IN FLIGHT', 'HELD', 'CAPS', 'PAUSED'],
    items.map((p) => [
      p.host,
      String(p.calls),
      `${p.errors} (${(p.errorRate * 100).toFixed(1)}%)`,
      ms(p.latencyP50Ms),
      ms(p.latencyP99Ms),
      String(p.inFlight),
      String(p.held),
      `${cap(p.caps.concurrency)}/${cap(p.caps.ratePerSec)}`,
      p.paused ? `by ${p.pausedBy ?? '?'}: ${p.pauseReason ?? ''}` : 'no',
    ]),
  );
}
