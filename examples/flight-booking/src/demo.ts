/**
 * `npm run demo:flight-booking`: TCC for REST with two airlines, each with its own SQLite
 * database. Five stories, each printed and checked: both seats confirmed; one airline
 * full, so the other seat is cancelled; a hold that expires before the confirm (404);
 * the coordinator killed right after deciding, and the confirm completing after its
 * restart; an airline down until its hold expires during the confirm (409, each outcome
 * reported). Exits 1 if a check fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccordClient } from '@accord/client';
import type { AirlineService } from './airline-service.js';
import { startAirline } from './airline-service.js';
import type { HeldSeat, Leg } from './booking.js';
import { bookTrip, holdSeat } from './booking.js';
import { CoordinatorChild } from './coordinator-child.js';

const failures: string[] = [];

function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? '✓' : '✗'} ${what}`);
  if (!ok) failures.push(what);
}

function seatStatus(airline: AirlineService, seat: HeldSeat, flight: string): string {
  return airline.seats.seats(flight).find((s) => s.seat === seat.seat)?.status ?? 'missing';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `ok` until it holds or `timeoutMs` passes; an airline sweeps expired holds every 200 ms. */
async function eventually(ok: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'accord-flight-demo-'));
  const coordinator = new CoordinatorChild(join(dir, 'coordinator'), {
    ACCORD_LEASE_MS: '1500',
    ACCORD_POLL_INTERVAL_MS: '50',
    ACCORD_RETRY_FIRST_MS: '100',
    ACCORD_RETRY_MAX_MS: '300',
    ACCORD_TCC_REST_MARGIN_MS: '1000',
  });
  const aero = await startAirline('aero', dir, { AE100: 6 });
  const sky = await startAirline('sky', dir, { SK200: 6, SK300: 0 });
  let client: AccordClient | undefined;
  try {
    await coordinator.start();
    client = new AccordClient({ url: coordinator.url });
    const trip: Leg[] = [
      { airline: 'aero', url: aero.url, flight: 'AE100' },
      { airline: 'sky', url: sky.url, flight: 'SK200' },
    ];
    console.log(`coordinator ${coordinator.url}, airlines aero ${aero.url}, sky ${sky.url}\n`);

    console.log('1. both seats held, then confirmed');
    const one = await bookTrip(client, trip, { ttlMs: 30_000 });
    check(one.kind === 'decided' && one.answer.status === 204, 'the coordinator answers 204');
    check(
      seatStatus(aero, one.held[0]!, 'AE100') === 'confirmed' &&
        seatStatus(sky, one.held[1]!, 'SK200') === 'confirmed',
      `aero ${one.held[0]?.seat} and sky ${one.held[1]?.seat} are confirmed in each airline's database`,
    );

    console.log('2. sky has no seat on SK300, so the aero seat is cancelled');
    const two = await bookTrip(
      client,
      [trip[0]!, { airline: 'sky', url: sky.url, flight: 'SK300' }],
      { ttlMs: 30_000 },
    );
    check(two.kind === 'no-seat' && two.cancel.status === 204, 'the cancel answers 204');
    check(
      seatStatus(aero, two.held[0]!, 'AE100') === 'free',
      `aero ${two.held[0]?.seat} is free again`,
    );

    console.log('3. the holds expire before the client confirms');
    const three = await bookTrip(client, trip, { ttlMs: 400, beforeConfirm: () => sleep(700) });
    check(three.kind === 'decided' && three.answer.status === 404, 'the coordinator answers 404');
    check(
      await eventually(() =>
        three.held.every(
          (h, i) => seatStatus(i === 0 ? aero : sky, h, i === 0 ? 'AE100' : 'SK200') === 'free',
        ),
      ),
      'both seats are free again',
    );

    console.log('4. the coordinator is killed right after deciding to confirm');
    await coordinator.stop();
    await coordinator.start({ ACCORD_CRASH_POINTS: 'after-decision' });
    const held = [(await holdSeat(trip[0]!, 30_000))!, (await holdSeat(trip[1]!, 30_000))!];
    const lost = await client.confirmLinks(held).then(
      () => 'answered',
      () => 'no answer',
    );
    check(
      lost === 'no answer' && (await coordinator.exited()) === 'SIGKILL',
      'kill -9 after the decision',
    );
    check(seatStatus(aero, held[0]!, 'AE100') === 'pending', 'the seats are still only held');
    await coordinator.start({ ACCORD_CRASH_POINTS: '' });
    const again = await client.confirmLinks(held);
    check(again.status === 204, 'after the restart, the repeated confirm answers 204');
    check(
      seatStatus(aero, held[0]!, 'AE100') === 'confirmed' &&
        seatStatus(sky, held[1]!, 'SK200') === 'confirmed',
      'both seats are confirmed',
    );

    console.log('5. sky is down until its hold has expired, during the confirm');
    // The hold lives long enough to outlast the safety margin even on a slow machine, and
    // sky refuses confirms until well after it has expired.
    sky.failConfirmsUntil = Date.now() + 10_000;
    const five = await bookTrip(client, trip, { ttlMs: 6_000 });
    const outcomes = five.kind === 'decided' ? five.answer.participantLinks : [];
    for (const o of outcomes) console.log(`     ${o.uri}: ${o.outcome}`);
    check(
      five.kind === 'decided' && five.answer.status === 409,
      'the coordinator answers 409 (heuristic)',
    );
    const byUri = new Map(outcomes.map((o) => [o.uri, o.outcome]));
    check(
      byUri.get(five.held[0]!.uri) === 'confirmed' && byUri.get(five.held[1]!.uri) !== 'confirmed',
      'aero confirmed, sky not: each outcome reported',
    );
    check(
      await eventually(() => seatStatus(sky, five.held[1]!, 'SK200') === 'free'),
      'the expired sky seat is free again',
    );
  } finally {
    await client?.close();
    await coordinator.stop();
    await aero.close();
    await sky.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    failures.length === 0 ? '\nall stories checked' : `\n${failures.length} check(s) failed`,
  );
  if (failures.length > 0) process.exitCode = 1;
}

await main();
