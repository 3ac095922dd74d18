/**
 * The id of one test run. `scripts/run-tests.mjs` sets ACCORD_TEST_RUN_ID for every test
 * process, and every name {@link uniqueName} makes carries it, so the end-of-run leak check
 * can tell this run's schemas, databases and keys from anyone else's on a shared server.
 */
import { randomBytes } from 'node:crypto';

/** The environment variable holding the run id. */
export const RUN_ID_VARIABLE = 'ACCORD_TEST_RUN_ID';

const RUN_ID_PATTERN = /^[a-z0-9]{6}$/;

/** A fresh run id: six lowercase letters and digits, starting with a letter. */
export function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(6);
  let id = alphabet[bytes[0]! % 26]!;
  for (let i = 1; i < 6; i++) id += alphabet[bytes[i]! % alphabet.length]!;
  return id;
}

let current: string | undefined;

/** This process's run id: the runner's, else one made up for this process alone. */
export function currentRunId(): string {
  if (current === undefined) {
    const given = process.env[RUN_ID_VARIABLE];
    if (given !== undefined && !RUN_ID_PATTERN.test(given)) {
      throw new Error(`${RUN_ID_VARIABLE}=${given} is not six lowercase letters and digits`);
    }
    current = given ?? newRunId();
  }
  return current;
}

/** The part of a name that marks it as this run's, e.g. `_k3x9q2_`. */
export function runMark(runId: string): string {
  return `_${runId}_`;
}
