/**
 * `npm run demo:signup-bonus`: users sign up at a PostgreSQL user service, which writes
 * each user and its `user.created` message in one transaction; relays publish the outbox
 * to RabbitMQ; a MariaDB points service grants the sign-up bonus behind an inbox. On the
 * way: duplicate emails, users committed while no relay runs, a relay killed mid-publish,
 * RabbitMQ cut off from the relays, lost acks, republished copies and a poison message.
 * Prints what happened and a PASS/FAIL list; exits 1 if a check fails.
 */
import type { GetMessage } from 'amqplib';
import { requireService, SERVICES, TcpProxy, waitFor } from '@accord/testkit';
import type { OutboxRowView, SignupWorld } from './signup-world.js';
import { startSignupWorld } from './signup-world.js';

const LEASE_MS = 2000;
const short = (id: string) => `…${id.slice(-6)}`;

/** Waits for `check`; false instead of an error when it times out. */
async function until(check: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  return waitFor(check, { timeoutMs }).then(
    () => true,
    () => false,
  );
}

/** Signs up every email at once; returns the committed message ids and the refusals. */
async function signUpAll(world: SignupWorld, emails: readonly string[]) {
  const answers = await Promise.all(emails.map((e) => world.signUp(e, e.split('@')[0] ?? e)));
  const ids = answers.flatMap((a) => (a.status === 201 && a.body.messageId) || []);
  const refused = answers.filter((a) => a.status === 409).length;
  return { ids, refused, failed: answers.length - ids.length - refused };
}

function printRows(rows: readonly OutboxRowView[]): void {
  for (const r of rows) {
    // last_error reads `PublishError: <message> (<code>)`: show the code first.
    const parts = /^\w+: (.*) \((\w+)\)$/.exec(r.lastError ?? '');
    const text = parts ? `${parts[2]}: ${parts[1]}` : r.lastError;
    const error = text ? `  last_error ${text}` : '';
    console.log(`    ${short(r.id)} ${r.status.padEnd(7)} attempts ${r.attempts}${error}`);
  }
}

async function main(): Promise<void> {
  for (const service of ['postgres', 'mariadb', 'rabbitmq'] as const) {
    const missing = await requireService(service);
    if (missing !== null) throw new Error(missing);
  }
  const broker = new URL(SERVICES.rabbitmq.url);
  const proxy = await TcpProxy.start(broker.hostname, Number(broker.port || 5672));
  const relayErrors = new Map<string, number>();
  const world = await startSignupWorld({
    postgresUrl: SERVICES.postgres.url,
    mysqlUrl: SERVICES.mariadb.url,
    amqpUrl: SERVICES.rabbitmq.url,
    startRelay: false,
    relayDefaults: {
      // Relays reach RabbitMQ through a proxy the demo can cut.
      amqpUrl: proxy.rewrite(SERVICES.rabbitmq.url),
      leaseMs: LEASE_MS,
      retry: { firstDelayMs: 100, factor: 2, maxDelayMs: 500 },
      onError: (error) => {
        const code = (error as { code?: unknown }).code;
        const key = typeof code === 'string' ? code : 'ERROR';
        relayErrors.set(key, (relayErrors.get(key) ?? 0) + 1);
      },
    },
  });
  const checks: Array<[string, boolean]> = [];
  try {
    console.log(`user service ${world.users.url}, PostgreSQL schema ${world.schema}`);
    console.log(`points service on MariaDB database ${world.database}`);
    console.log(`exchange ${world.topology.exchange} -> queue ${world.topology.queue}`);
    console.log(`dead letters -> ${world.topology.deadLetterQueue}\n`);

    // 1. Users committed while no relay runs; then a relay dies mid-publish.
    console.log('1. sign-ups while no relay runs (a crash between commit and publish)');
    const first = await signUpAll(world, [
      ...['ada', 'bob', 'carol', 'dan', 'eve', 'fay', 'gus', 'hal', 'ivy'].map(
        (n) => `${n}@example.com`,
      ),
      'ADA@example.com',
      'bob@example.com',
      'Eve@Example.com',
    ]);
    const waiting = await world.outboxRows();
    console.log(
      `   12 requests at once: ${first.ids.length} committed, ${first.refused} refused (409 EMAIL_TAKEN)`,
    );
    console.log(
      `   outbox: ${waiting.filter((r) => r.status === 'pending').length} rows pending, ${world.points.deliveries.length} delivered`,
    );
    checks.push([
      'users committed while no relay ran waited in the outbox; refused sign-ups wrote no row',
      first.ids.length === 9 &&
        first.refused === 3 &&
        waiting.length === 9 &&
        world.points.deliveries.length === 0,
    ]);

    world.tap.killAfterPublish('relay-a');
    const relayA = await world.startRelay({ owner: 'relay-a', concurrency: 1 });
    await until(() => world.tap.frozen.length === 1);
    const killedId = world.tap.frozen[0]?.id ?? '';
    const { rows: held } = await world.users.pool.query<{ n: number; until: string }>(
      `SELECT count(*)::int AS n, max(lease_until) AS until FROM ${world.users.outbox.table}
        WHERE lease_owner = 'relay-a'`,
    );
    const leaseEnd = Number(held[0]?.until ?? 0);
    console.log(
      `   relay-a claimed ${held[0]?.n ?? 0} rows, published ${short(killedId)} and was killed before marking it sent`,
    );
    await world.startRelay({ owner: 'relay-b' });
    const takenOver = await until(async () =>
      (await world.outboxRows()).every((r) => r.status === 'sent'),
    );
    const byB = world.tap.confirmed().filter((p) => p.relay === 'relay-b');
    console.log(
      `   relay-b waited for relay-a's ${LEASE_MS} ms lease, then published ${byB.length} (the killed one again)`,
    );
    world.tap.releaseFrozen();
    await world.stopRelay(relayA);
    checks.push([
      "a fresh relay published every row after the killed relay's lease lapsed",
      takenOver &&
        byB.length === 9 &&
        byB.every((p) => p.startedAt >= leaseEnd) &&
        world.tap.confirmed(killedId).length === 2,
    ]);

    // 2. RabbitMQ unreachable from the relay.
    console.log('\n2. RabbitMQ cut off from the relay');
    proxy.cut();
    const second = await signUpAll(
      world,
      ['jan', 'kim', 'lou', 'max', 'ned'].map((n) => `${n}@example.com`),
    );
    const retried = await until(
      async () =>
        (await world.outboxRows()).filter((r) => second.ids.includes(r.id) && r.attempts >= 2)
          .length === second.ids.length,
    );
    const stuck = (await world.outboxRows()).filter((r) => second.ids.includes(r.id));
    console.log(`   ${second.ids.length} users committed during the outage; their rows:`);
    printRows(stuck);
    const throughDuringCut = second.ids.filter((id) => world.points.deliveriesOf(id).length > 0);
    checks.push([
      'during the outage the rows stayed pending with last_error; nothing got through',
      retried &&
        stuck.every((r) => r.status === 'pending' && r.lastError !== null) &&
        throughDuringCut.length === 0,
    ]);
    proxy.restore();
    const drained = await until(async () =>
      (await world.outboxRows()).every((r) => r.status === 'sent'),
    );
    console.log(`   restored: ${drained ? 'every row sent' : 'rows still pending'}`);

    // 3. Duplicates on the consumer's side, and a poison message.
    console.log('\n3. consumer-side duplicates and a poison message');
    world.points.faults.loseAcks = 2;
    const third = await signUpAll(world, ['olga@example.com', 'pia@example.com']);
    const copied = first.ids.slice(1, 4);
    for (let i = 0; i < 2; i += 1) await world.republish(copied);
    await world.publishRaw('{"userId":42}', 'poison-1');
    console.log(`   2 grants lose their ack (redelivered), 3 messages republished twice each,`);
    console.log(`   1 message with no usable payload`);

    const committed = first.ids.length + second.ids.length + third.ids.length;
    const dead: GetMessage[] = [];
    const settled = await until(async () => {
      dead.push(...(await world.takeDeadLetters()));
      const report = await world.report();
      return (
        report.ok &&
        report.users === committed &&
        copied.every((id) => world.points.deliveriesOf(id).length >= 3) &&
        world.points.deliveries.filter((d) => d.ackLost).length === 2 &&
        world.points.deliveries.filter((d) => d.outcome === 'duplicate').length >= 9 &&
        dead.length > 0 &&
        world.points.inFlight === 0
      );
    }, 30_000);
    dead.push(...(await world.takeDeadLetters()));
    const report = await world.report();
    const deliveries = world.points.deliveries;
    const count = (outcome: string) => deliveries.filter((d) => d.outcome === outcome).length;
    const rows = await world.outboxRows();

    console.log('\nsummary');
    console.log(`   users committed ${report.users}, refused ${first.refused} (nothing written)`);
    console.log(
      `   outbox rows ${rows.length}, sent ${rows.filter((r) => r.status === 'sent').length}, ` +
        `published ${world.tap.confirmed().length} times in all`,
    );
    console.log(
      `   relay failures: ${[...relayErrors].map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}`,
    );
    console.log(
      `   deliveries ${deliveries.length}: granted ${count('granted')}, duplicates ${count('duplicate')}, ` +
        `dead-lettered ${count('dead-lettered')}, retried ${count('retried')}`,
    );
    console.log(
      `   bonuses: ${report.bonused} users with exactly one, ${report.missing.length} without, ` +
        `${report.doubled.length} with more than one\n`,
    );

    checks.push(
      [
        `every committed user has exactly one bonus (${report.bonused}/${report.users})`,
        settled && report.ok && report.users === committed,
      ],
      [
        'one outbox row per committed user, all sent',
        rows.length === committed && rows.every((r) => r.status === 'sent'),
      ],
      [
        `every duplicate delivery granted nothing (${count('duplicate')} absorbed by the inbox)`,
        count('granted') === committed && (await world.points.ledger.inboxSize()) === committed,
      ],
      [
        'the poison message went to the dead-letter queue, once',
        dead.length === 1 && count('dead-lettered') === 1,
      ],
      ['no row was in flight from two relays at once', world.tap.overlaps.length === 0],
    );
  } finally {
    await world.close();
    await proxy.close();
  }
  for (const [text, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  if (checks.some(([, ok]) => !ok)) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
