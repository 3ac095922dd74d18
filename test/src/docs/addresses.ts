/**
 * The addresses the docs are written with (the coordinator on 127.0.0.1:7070, stand-in
 * services on 8081 and 8082, a merchant at https://merchant.example), and their
 * replacements in a test run: free ports, so the test never collides with a coordinator
 * or service someone already runs on the documented ones.
 */

/** Where the documented addresses point during one run. */
export interface DocAddresses {
  /** The live coordinator's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly coordinatorUrl: string;
  /** Free ports standing in for the documented participant ports 8081 and 8082. */
  readonly participantPorts: readonly [number, number];
  /** A free port for the notification receiver documented as https://merchant.example. */
  readonly merchantPort: number;
}

/** The documented participant ports, in the order of {@link DocAddresses.participantPorts}. */
export const DOCUMENTED_PARTICIPANT_PORTS = [8081, 8082] as const;

/**
 * Rewrites a block's code to the run's addresses. Only addresses change, so line numbers
 * stay those of the Markdown.
 *
 * @example
 * rewriteAddresses("curl -s http://127.0.0.1:7070/v1/transactions", addresses);
 */
export function rewriteAddresses(code: string, addresses: DocAddresses): string {
  const coordinator = new URL(addresses.coordinatorUrl);
  let out = code
    .replaceAll('http://127.0.0.1:7070', addresses.coordinatorUrl.replace(/\/$/, ''))
    .replaceAll('https://merchant.example', `http://127.0.0.1:${addresses.merchantPort}`)
    .replace(/\b7070\b/g, coordinator.port);
  DOCUMENTED_PARTICIPANT_PORTS.forEach((documented, i) => {
    out = out.replace(
      new RegExp(`\\b${documented}\\b`, 'g'),
      String(addresses.participantPorts[i]),
    );
  });
  return out;
}
