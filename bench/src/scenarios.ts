/**
 * The two scenarios measured against each other. Both run "A then B" with the same
 * payload; `raw` calls the participants directly, `accord` asks a coordinator to run
 * them as a saga and waits for the result. All HTTP goes through undici keep-alive pools.
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

/** A then B, called directly: the baseline. */
export function rawScenario(urls: Record<ParticipantName, string>, concurrency: number): Scenario {
  const targets = (['a', 'b'] as const).map((name) => {
    const url = new URL(`${urls[name]}/action`);
    return { name, path: url.pathname, pool: pool(url.origin, concurrency) };
  });
  return {
    name: 'raw',
    async operation(sequence) {
      const body = JSON.stringify(payload(sequence));
      for (const target of targets) {
        const response = await target.pool.request({
          method: 'POST',
          path: target.path,
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.body.dump();
        if (response.statusCode < 200 || response.statusCode > 299) {
          throw new OperationError(`participant ${target.name}: HTTP ${response.statusCode}`);
        }
      }
    },
    close: async () => {
      await Promise.all(targets.map((t) => t.pool.close()));
    },
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
