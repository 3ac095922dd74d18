/**
 * Reconciliation of PostgreSQL (the reference) against MariaDB on a real coordinator:
 * every injected mismatch is found and repaired exactly once at a real HTTP participant,
 * also when runs are killed at random points and resumed by another runner.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { ManualClock } from '@accord/core';
import {
  createTempMysqlDatabase,
  createTempSchema,
  requireService,
  tempDir,
  waitFor,
  type TempDatabase,
  type TempSchema,
} from '@accord/testkit';
import { loadConfig } from '../../config/config.js';
import { TargetPolicy } from '../../outbound/target-policy.js';
import { startServer, type RunningServer } from '../../server.js';
import { engineRepairs } from '../../http/reconcile-repairs.js';
import type { ReconcileJob } from './job.js';
import { RunRecords, type MismatchRecord } from './run-records.js';
import { runJob, type RunCrashPoint, type RunDeps } from './run-job.js';

const ROWS = 400;
const MISSING_RIGHT = [3, 50, 51, 399];
const DIFFERENT = [7, 120, 400];
const WITHIN_TOLERANCE = [8, 121];
const MISSING_LEFT = [401, 402, 1000];
const EXPECTED = [
  ...MISSING_RIGHT.map((id) => `missing-right:${id}`),
  ...DIFFERENT.map((id) => `different:${id}`),
  ...MISSING_LEFT.map((id) => `missing-left:${id}`),
].sort();

/** A repair participant that counts every call by mismatch kind and key. */
class RepairParticipant {
  readonly calls = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          job: string;
          kind: string;
          key: number[];
        };
        const name = `${body.job}|${body.kind}:${body.key[0]}`;
        this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
        response.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  of(job: string): Map<string, number> {
    const prefix = `${job}|`;
    return new Map(
      [...this.calls]
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('reconciliation of PostgreSQL against MariaDB', () => {
  const dir = tempDir('accord-recon-run-');
  const participant = new RepairParticipant();
  let schema: TempSchema | undefined;
  let database: TempDatabase | undefined;
  let server: RunningServer | undefined;
  let skip: string | null = null;

  before(async () => {
    skip = (await requireService('postgres')) ?? (await requireService('mariadb'));
    if (skip) return;
    schema = await createTempSchema('accord_recon');
    database = await createTempMysqlDatabase('accord_recon');
    const left = new pg.Client({ connectionString: schema.url });
    await left.connect();
    try {
      await left.query(
        'create table orders (id bigint primary key, amount numeric(12,2), status text)',
      );
      await left.query(
        `insert into orders select i, i * 2.5, 'paid' from generate_series(1, ${ROWS}) i`,
      );
    } finally {
      await left.end();
    }
    const right = await mysql.createConnection({ uri: database.url });
    try {
      await right.query(
        'create table payments (order_id bigint primary key, paid decimal(12,2), state varchar(16))',
      );
      const rows = [];
      for (let id = 1; id <= ROWS; id += 1) {
        if (MISSING_RIGHT.includes(id)) continue;
        const amount =
          id * 2.5 + (DIFFERENT.includes(id) ? 1 : WITHIN_TOLERANCE.includes(id) ? 0.01 : 0);
        rows.push([id, amount, 'paid']);
      }
      for (const id of MISSING_LEFT) rows.push([id, 9, 'paid']);
      await right.query('insert into payments values ?', [rows]);
    } finally {
      await right.end();
    }
    await participant.start();
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_POLL_INTERVAL_MS: '10',
        },
      ),
    );
  });

  after(async () => {
    await server?.close();
    await participant.stop();
    await schema?.drop();
    await database?.drop();
    dir.remove();
  });

  const job = (id: string): ReconcileJob => ({
    id,
    mode: 'full',
    left: {
      type: 'sql',
      url: schema!.url,
      query: 'select id, amount, status from orders order by id',
    },
    right: {
      type: 'sql',
      url: database!.url,
      query:
        'select order_id as id, paid as amount, state as status from payments order by order_id',
    },
    rules: {
      key: [{ field: 'id', type: 'number' }],
      compare: [
        { field: 'amount', type: 'number', tolerance: 0.01 },
        { field: 'status', type: 'string' },
      ],
      reference: 'left',
    },
    repair: {
      'missing-left': `${participant.url}/repair/remove`,
      'missing-right': `${participant.url}/repair/add`,
      different: `${participant.url}/repair/fix`,
    },
  });

  const deps = (
    owner: string,
    clock: ManualClock,
    crash?: (point: RunCrashPoint) => void,
  ): RunDeps => {
    const config = loadConfig({}, { ACCORD_DATA_DIR: dir.path });
    return {
      kv: server!.store.kv,
      clock,
      owner,
      leaseMs: 30_000,
      checkpointEvery: 25,
      crash,
      repairs: engineRepairs(server!.engine, {
        config,
        policy: new TargetPolicy({ allowed: config.allowedTargets, denied: config.deniedTargets }),
        brokers: null,
        newGid: () => 'unused',
        now: () => Date.now(),
      }),
    };
  };

  /** All mismatches of the job's runs, once every repair transaction has succeeded. */
  async function settled(jobId: string): Promise<MismatchRecord[]> {
    const records = new RunRecords(server!.store.kv);
    const found: MismatchRecord[] = [];
    for (const run of await records.runs(jobId)) {
      found.push(...(await records.mismatches(jobId, run.id, undefined, 1000)).items);
    }
    for (const m of found) {
      await waitFor(
        async () => (await server!.engine.get(m.repairGid!)).snapshot.tx.status === 'succeeded',
        { what: `repair ${m.repairGid} succeeded` },
      );
    }
    await waitFor(() => server!.engine.inFlight === 0, { what: 'no transaction in flight' });
    return found;
  }

  it('finds every kind of mismatch, with both sides, and repairs each once', async (t) => {
    if (skip) return t.skip(skip);
    const run = await runJob(job('clean'), deps('a', new ManualClock(Date.now())));
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.counts, {
      compared: ROWS + MISSING_LEFT.length,
      same: ROWS - MISSING_RIGHT.length - DIFFERENT.length,
      missingLeft: MISSING_LEFT.length,
      missingRight: MISSING_RIGHT.length,
      different: DIFFERENT.length,
    });
    const found = await settled('clean');
    assert.deepEqual(found.map((m) => `${m.kind}:${m.key[0]}`).sort(), EXPECTED);
    const different = found.find((m) => m.kind === 'different' && m.key[0] === 7)!;
    assert.deepEqual(different.left, { id: '7', amount: '17.50', status: 'paid' });
    assert.deepEqual(different.right, { id: '7', amount: '18.50', status: 'paid' });
    assert.deepEqual(different.fields, ['amount']);
    const calls = participant.of('clean');
    assert.deepEqual([...calls.keys()].sort(), EXPECTED);
    assert.ok(
      [...calls.values()].every((n) => n === 1),
      JSON.stringify([...calls]),
    );
  });

  it('resumes a run killed at a random point without repairing anything twice', async (t) => {
    if (skip) return t.skip(skip);
    const points: RunCrashPoint[] = [
      'after-mismatch-recorded',
      'after-repair-started',
      'after-checkpoint',
    ];
    for (let trial = 0; trial < 6; trial += 1) {
      const id = `killed-${trial}`;
      const point = points[trial % points.length]!;
      const hits = 1 + Math.floor(Math.random() * 6);
      let seen = 0;
      const clock = new ManualClock(Date.now());
      await assert.rejects(
        runJob(
          job(id),
          deps('first', clock, (at) => {
            if (at === point && (seen += 1) === hits) throw new Error(`killed ${at} #${hits}`);
          }),
        ),
        /killed/,
      );
      // Another runner cannot take the job while the killed one's lease lasts...
      await assert.rejects(runJob(job(id), deps('second', clock)), /running on another instance/);
      // ...and finishes the same run once it has expired.
      clock.advance(31_000);
      const run = await runJob(job(id), deps('second', clock));
      assert.equal(run.status, 'succeeded');
      assert.equal(
        run.counts.compared,
        ROWS + MISSING_LEFT.length,
        `trial ${trial} (${point} #${hits})`,
      );
      const found = await settled(id);
      assert.deepEqual(found.map((m) => `${m.kind}:${m.key[0]}`).sort(), EXPECTED);
      const calls = participant.of(id);
      assert.deepEqual([...calls.keys()].sort(), EXPECTED, `trial ${trial} (${point} #${hits})`);
      assert.ok(
        [...calls.values()].every((n) => n === 1),
        `trial ${trial} (${point} #${hits}): ${JSON.stringify([...calls])}`,
      );
    }
  });
});
