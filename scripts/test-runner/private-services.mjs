/**
 * Servers the runner starts once before the suites and removes after them, whatever way
 * the run ends. Each is handed to the test processes as one environment variable; suites
 * reach it through the testkit's service of the same variable.
 *
 * An entry is `{ name, variable, start }`, where `start()` resolves to `{ url, stop() }`.
 * Add a private server by adding an entry here. When the variable is already set, that
 * server is used and nothing is started.
 */
import { PrivatePostgres } from '../../packages/testkit/dist/index.js';
import {
  start as startRedisCluster,
  stop as stopRedisCluster,
  unavailable as redisClusterUnavailable,
} from '../redis-cluster.mjs';

const PRIVATE_SERVICES = [
  {
    name: 'PostgreSQL with prepared transactions (XA)',
    variable: 'ACCORD_TEST_XA_POSTGRES_URL',
    async start() {
      const server = await PrivatePostgres.start({ settings: { max_prepared_transactions: '64' } });
      return { url: server.url, stop: () => server.remove() };
    },
  },
  {
    name: 'Redis Cluster (3 masters)',
    variable: 'ACCORD_TEST_REDIS_CLUSTER_URL',
    async start() {
      const problem = redisClusterUnavailable();
      if (problem) throw new Error(problem);
      const cluster = await startRedisCluster({ masters: 3 });
      return { url: cluster.url, stop: () => stopRedisCluster(cluster) };
    },
  },
];

/**
 * The run's private services. `start()` starts each one and fills `env` with the variables
 * for the test processes; `stop()` removes what was started, waiting first for a start in
 * progress, so it is safe from a signal handler at any moment and more than once. A
 * service that fails to start is reported and left out: its suites skip, or fail when
 * ACCORD_REQUIRE_SERVICES=1, exactly as for a missing shared service.
 */
export function privateServices(log) {
  const env = {};
  const started = [];
  let starting = Promise.resolve();
  let stopping;
  const start = () => {
    starting = (async () => {
      for (const service of PRIVATE_SERVICES) {
        if (stopping) return;
        if (process.env[service.variable]) {
          log(`private service: ${service.name}: using ${process.env[service.variable]}`);
          continue;
        }
        try {
          const handle = await service.start();
          started.push({ service, handle });
          env[service.variable] = handle.url;
          log(`private service: ${service.name} at ${handle.url}`);
        } catch (error) {
          log(`private service: ${service.name} failed to start: ${error.message ?? error}`);
        }
      }
    })();
    return starting;
  };
  const stop = () => {
    stopping ??= (async () => {
      await starting;
      for (const { service, handle } of started.reverse()) {
        try {
          await handle.stop();
        } catch (error) {
          log(`private service: ${service.name} failed to stop: ${error.message ?? error}`);
        }
      }
    })();
    return stopping;
  };
  return { env, start, stop };
}
