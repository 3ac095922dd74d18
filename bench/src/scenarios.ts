/**
 * The two scenarios measured against each other. Both run "A then B" with the same
 * payload through a system under test in its own process: `raw` asks a relay that calls
 * the participants and stores nothing, `accord` asks a coordinator to run them as a saga
 * and waits for the result. All HTTP goes through undici keep-alive pools.
 */
import { Pool } from 'undici';
import { OperationError, type Operation } from './load.js';
import type { ParticipantName } from './participants.js';

/** Names of the scenarios, as printed and written to JSON. */
export type ScenarioName = 'raw' | 'accord';

/** An operation plus the pools it owns. */
export interface Scenario {
  readonly name: ScenarioName;
  readonly operation: Operation;
  close(): Promise<void>;
}

/** Longer than the coordinator's default `waitResult` cap (30 s), so its answer comes first. */
const REQUEST_TIMEOUT_MS = 60_000;

function pool(origin: string, concurrency: number): Pool {
  return new Pool(origin, {
    connections: concurrency,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
}

/** The body each participant receives in both scenarios. */
function payload(sequence: number): { account: string; amount: number; sequence: number } {
  return { account: 'bench', amount: 1, sequence };
}

/** A then B through the relay at `relayUrl` (see relay-server.ts): the baseline. */
export function rawScenario(relayUrl: string, concurrency: number): Scenario {
  const relay = pool(new URL(relayUrl).origin, concurrency);
  return {
    name: 'raw',
    async operation(sequence) {
      const response = await relay.request({
        method: 'POST',
        path: '/saga',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload(sequence)),
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) {
        throw new OperationError(`relay: HTTP ${response.statusCode}`, text.slice(0, 200));
      }
    },
    close: () => relay.close(),
  };
}

interface CreateAnswer {
  transaction?: { status?: unknown; reason?: unknown };
  error?: { code?: unknown; message?: unknown };
}

/** A then B as a saga through the coordinator at `coordinatorUrl`, with `waitResult: true`. */
export function accordScenario(
  coordinatorUrl: string,
  urls: Record<ParticipantName, string>,
  concurrency: number,
): Scenario {
  const coordinator = pool(new URL(coordinatorUrl).origin, concurrency);
  const step = (name: ParticipantName, sequence: number) => ({
    id: name,
    action: `${urls[name]}/action`,
    compensate: `${urls[name]}/compensate`,
    payload: payload(sequence),
  });
  return {
    name: 'accord',
    async operation(sequence) {
      const response = await coordinator.request({
        method: 'POST',
        path: '/v1/transactions',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          mode: 'saga',
          steps: [step('a', sequence), step('b', sequence)],
          waitResult: true,
        }),
      });
      const text = await response.body.text();
      let answer: CreateAnswer;
      try {
        answer = JSON.parse(text) as CreateAnswer;
      } catch {
        throw new OperationError(`HTTP ${response.statusCode}, body not JSON`, text.slice(0, 200));
      }
      if (response.statusCode !== 201) {
        const code = typeof answer.error?.code === 'string' ? ` ${answer.error.code}` : '';
        throw new OperationError(`HTTP ${response.statusCode}${code}`, text.slice(0, 300));
      }
      const status = answer.transaction?.status;
      if (status !== 'succeeded') {
        const reason =
          typeof answer.transaction?.reason === 'string' ? answer.transaction.reason : '';
        throw new OperationError(`status ${String(status)}${reason ? ` (${reason})` : ''}`);
      }
    },
    close: () => coordinator.close(),
  };
}
