/**
 * An XA participant on PostgreSQL that follows DTM's conventions, for tests of the
 * DTM-compatible API: the business call runs its local work in a transaction left
 * prepared (`PREPARE TRANSACTION '<gid>-<branch_id>'`), records it in DTM's own barrier
 * table (`dtm_barrier.barrier`, as DTM's SDKs create it) and registers the branch with
 * the coordinator before preparing; phase two comes to its `phase2_url` with
 * `op=commit|rollback`. A commit or rollback of an xid that no longer exists was done
 * before and answers success; a rollback leaves a `rollback` row that refuses a late
 * local transaction of the same branch.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

/** DTM's barrier table for PostgreSQL, column for column. */
export const DTM_BARRIER_DDL = `
create schema if not exists dtm_barrier;
create sequence if not exists dtm_barrier.barrier_seq;
create table if not exists dtm_barrier.barrier(
  id bigint not null default nextval('dtm_barrier.barrier_seq'),
  trans_type varchar(45) default '',
  gid varchar(128) default '',
  branch_id varchar(128) default '',
  op varchar(45) default '',
  barrier_id varchar(45) default '',
  reason varchar(45) default '',
  create_time timestamp(0) with time zone default null,
  update_time timestamp(0) with time zone default null,
  primary key(id),
  constraint uniq_barrier unique(gid, branch_id, op, barrier_id)
);
create table if not exists account(id text primary key, balance integer not null);`;

const INSERT_BARRIER = `
insert into dtm_barrier.barrier(trans_type, gid, branch_id, op, barrier_id, reason, create_time)
values ($1, $2, $3, $4, $5, $6, now())
on conflict on constraint uniq_barrier do nothing`;

/** DTM's barrier id of the XA local transaction. */
const XA_BARRIER_ID = '01';

function xidOf(gid: string, branchId: string): string {
  return `${gid}-${branchId}`;
}

/** A quoted SQL string literal (PREPARE TRANSACTION takes no parameters). */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** One call the participant received. */
export interface XaSeenCall {
  readonly path: string;
  readonly query: Record<string, string>;
  readonly status: number;
}

/** The participant: an HTTP server over one PostgreSQL database. */
export class DtmXaParticipant {
  readonly calls: XaSeenCall[] = [];
  private server: Server | undefined;
  private readonly pool: pg.Pool;
  url = '';

  /** @param databaseUrl a database on a server with `max_prepared_transactions > 0` */
  constructor(
    databaseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
  }

  /** Creates DTM's barrier table and the account table, and starts listening. */
  async start(): Promise<this> {
    await this.pool.query(DTM_BARRIER_DDL);
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(error instanceof Error ? error.message : String(error));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Opens accounts with balances. */
  async open(balances: Record<string, number>): Promise<void> {
    for (const [id, balance] of Object.entries(balances)) {
      await this.pool.query('insert into account(id, balance) values ($1, $2)', [id, balance]);
    }
  }

  /** A balance, read from another connection (so prepared work does not show). */
  async balance(id: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ balance: number }>(
      'select balance from account where id = $1',
      [id],
    );
    return rows[0]?.balance;
  }

  /** Prepared transactions of a gid on the server, by xid. */
  async prepared(gid: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ gid: string }>(
      'select gid from pg_prepared_xacts where gid like $1 order by gid',
      [`${gid}-%`],
    );
    return rows.map((r) => r.gid);
  }

  /** Barrier rows of a gid as `branch_id:op:barrier_id:reason`. */
  async barrier(gid: string): Promise<string[]> {
    const { rows } = await this.pool.query<Record<string, string>>(
      `select branch_id, op, barrier_id, reason from dtm_barrier.barrier
       where gid = $1 order by branch_id, op, barrier_id`,
      [gid],
    );
    return rows.map((r) => `${r['branch_id']}:${r['op']}:${r['barrier_id']}:${r['reason']}`);
  }

  /** Rolls back whatever a failed test left prepared, and stops. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    const { rows } = await this.pool.query<{ gid: string }>(
      'select gid from pg_prepared_xacts where database = current_database()',
    );
    for (const { gid } of rows) await this.pool.query(`rollback prepared ${literal(gid)}`);
    await this.pool.end();
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const url = new URL(req.url ?? '/', 'http://participant');
    const query = Object.fromEntries(url.searchParams);
    const body = await readBody(req);
    const reply =
      url.pathname === '/xa/phase2'
        ? await this.phase2(query)
        : url.pathname === '/xa/transfer'
          ? await this.local(query, body)
          : { status: 404, body: '{}' };
    this.calls.push({ path: url.pathname, query, status: reply.status });
    return reply;
  }

  /**
   * The business call (DTM's XaLocalTransaction): barrier row, the change, branch
   * registration, then PREPARE TRANSACTION. A refusal rolls the local work back (409).
   */
  private async local(
    q: Record<string, string>,
    body: string,
  ): Promise<{ status: number; body: string }> {
    const { gid = '', branch_id: branchId = '', trans_type: transType = 'xa' } = q;
    const { account, amount } = JSON.parse(body) as { account: string; amount: number };
    const client = await this.pool.connect();
    let open = false;
    try {
      await client.query('begin');
      open = true;
      const row = [transType, gid, branchId, 'action', XA_BARRIER_ID, 'action'];
      if ((await client.query(INSERT_BARRIER, row)).rowCount === 0) {
        // The branch was rolled back before its local work ran: refuse (anti-hanging).
        await client.query('rollback');
        open = false;
        return { status: 409, body: '{"dtm_result":"FAILURE","message":"rolled back"}' };
      }
      const changed = await client.query(
        'update account set balance = balance + $2 where id = $1 and balance + $2 >= 0',
        [account, amount],
      );
      if (changed.rowCount === 0) {
        await client.query('rollback');
        open = false;
        return { status: 409, body: '{"dtm_result":"FAILURE","message":"insufficient funds"}' };
      }
      const registered = await fetch(`${q['dtm']}/registerBranch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.headers },
        body: JSON.stringify({
          gid,
          trans_type: transType,
          branch_id: branchId,
          url: q['phase2_url'],
          data: '',
        }),
      });
      if (registered.status !== 200) {
        await client.query('rollback');
        open = false;
        return { status: registered.status, body: await registered.text() };
      }
      await client.query(`prepare transaction ${literal(xidOf(gid, branchId))}`);
      open = false;
      return { status: 200, body: '{"dtm_result":"SUCCESS"}' };
    } finally {
      if (open) await client.query('rollback').catch(() => undefined);
      client.release();
    }
  }

  /** Phase two (DTM's XaHandlePhase2). */
  private async phase2(q: Record<string, string>): Promise<{ status: number; body: string }> {
    const { gid = '', branch_id: branchId = '', op } = q;
    if (op !== 'commit' && op !== 'rollback') return { status: 400, body: '{}' };
    const xid = literal(xidOf(gid, branchId));
    try {
      await this.pool.query(
        op === 'commit' ? `commit prepared ${xid}` : `rollback prepared ${xid}`,
      );
    } catch (error) {
      // An xid that no longer exists was committed or rolled back by an earlier call.
      if (!(error instanceof Error && error.message.includes('does not exist'))) throw error;
    }
    if (op === 'rollback') {
      await this.pool.query(INSERT_BARRIER, ['xa', gid, branchId, 'action', XA_BARRIER_ID, op]);
    }
    return { status: 200, body: '{"dtm_result":"SUCCESS"}' };
  }
}
