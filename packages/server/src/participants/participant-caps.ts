/**
 * The caps settings of participants: `ACCORD_PARTICIPANT_CAPS` entries
 * (`host:port=concurrency/ratePerSec`, either may be `-`) and rates. Pure; each refusal
 * names the entry and why (config/setting-types.ts adds the setting's name).
 */
import type { ParticipantCaps } from './participant-gate.js';
import { normalParticipant } from './participant-key.js';

/** Largest concurrency cap. */
export const MAX_CONCURRENCY = 100_000;
/** Largest rate, calls per second. */
export const MAX_RATE = 1_000_000;

/** A concurrency cap's text: a whole number from 1; `-` for none. */
function concurrencyOf(text: string, entry: string): number | null {
  if (text === '-') return null;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_CONCURRENCY) {
    throw new Error(
      `"${entry}": the concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, or - for none`,
    );
  }
  return n;
}

/** A rate's text: a number above 0 (decimals allowed, e.g. 0.5); `-` for none. */
function rateOf(text: string, entry: string): number | null {
  if (text === '-') return null;
  const n = parseRate(text);
  if (n === null) {
    throw new Error(
      `"${entry}": the rate must be a number of calls per second above 0 and at most ${MAX_RATE}, or - for none`,
    );
  }
  return n;
}

/**
 * Parses one `host:port=concurrency/ratePerSec` entry.
 *
 * @example
 * parseCapsEntry('Pay.internal:8080=4/20'); // ['pay.internal:8080', { concurrency: 4, ratePerSec: 20 }]
 * parseCapsEntry('[::1]:9000=-/0.5');       // ['[::1]:9000', { concurrency: null, ratePerSec: 0.5 }]
 */
export function parseCapsEntry(entry: string): [string, ParticipantCaps] {
  const eq = entry.lastIndexOf('=');
  if (eq === -1) {
    throw new Error(`"${entry}" must be host:port=concurrency/ratePerSec (either may be -)`);
  }
  const host = normalParticipant(entry.slice(0, eq).trim());
  if (host === null) {
    throw new Error(
      `"${entry}": "${entry.slice(0, eq).trim()}" is not host:port (IPv6 in brackets, port 1-65535)`,
    );
  }
  const parts = entry.slice(eq + 1).split('/');
  if (parts.length !== 2) {
    throw new Error(`"${entry}": after = comes concurrency/ratePerSec, e.g. 8/50 or -/10`);
  }
  const concurrency = concurrencyOf(parts[0]!.trim(), entry);
  const ratePerSec = rateOf(parts[1]!.trim(), entry);
  return [host, { concurrency, ratePerSec }];
}

/**
 * Parses the entries of `ACCORD_PARTICIPANT_CAPS` (comma-separated; empty ones ignored);
 * throws an Error naming the bad entry, or a participant listed twice.
 */
export function parseCapsList(raw: string): Map<string, ParticipantCaps> {
  const caps = new Map<string, ParticipantCaps>();
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const [host, entryCaps] = parseCapsEntry(entry);
    if (caps.has(host)) throw new Error(`${host} is listed twice`);
    caps.set(host, entryCaps);
  }
  return caps;
}

/** A rate in calls per second: a number above 0 (decimals allowed); null when it is not one. */
export function parseRate(raw: string): number | null {
  const n = Number(raw);
  return /^\d+(\.\d+)?$/.test(raw) && n > 0 && n <= MAX_RATE ? n : null;
}
