import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Reservations } from './reservations.js';
import { tccRestHandler } from './node-handler.js';

describe('TCC for REST reservations', () => {
  function fixture() {
    let now = 1_000;
    const ended: string[] = [];
    const seats = new Reservations<string>({
      now: () => now,
      onConfirm: (r) => void ended.push(`confirmed ${r.data}`),
      onCancel: (r) => void ended.push(`cancelled ${r.data}`),
    });
    return { seats, ended, advance: (ms: number) => (now += ms) };
  }

  it('confirms once, idempotently, before the expiry', async () => {
    const { seats, ended } = fixture();
    const r = await seats.reserve('12A', 500);
    assert.equal(await seats.confirm(r.id), 204);
    assert.equal(await seats.confirm(r.id), 204);
    assert.equal(await seats.cancel(r.id), 409);
    assert.deepEqual(ended, ['confirmed 12A']);
  });

  it('answers 404 after the expiry, having cancelled itself', async () => {
    const { seats, ended, advance } = fixture();
    const r = await seats.reserve('12B', 500);
    advance(500);
    assert.equal(await seats.confirm(r.id), 404);
    assert.equal(await seats.cancel(r.id), 404);
    assert.equal(await seats.confirm('unknown'), 404);
    assert.deepEqual(ended, ['cancelled 12B']);
  });

  it('sweeps expired reservations, and only those', async () => {
    const { seats, ended, advance } = fixture();
    await seats.reserve('1', 100);
    const kept = await seats.reserve('2', 1_000);
    advance(200);
    assert.equal(await seats.sweep(), 1);
    assert.deepEqual(ended, ['cancelled 1']);
    assert.equal(await seats.cancel(kept.id), 204);
    assert.deepEqual(ended, ['cancelled 1', 'cancelled 2']);
  });

  it('serves PUT, DELETE and GET on node:http', async () => {
    const { seats } = fixture();
    const handle = tccRestHandler(seats, '/r');
    const server = createServer((req, res) => {
      void handle(req, res).then((done) => done || res.writeHead(418).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const a = await seats.reserve('A', 10_000);
      const b = await seats.reserve('B', 10_000);
      const call = (method: string, id: string) =>
        fetch(`${base}/r/${id}`, { method, headers: { accept: 'application/tcc' } });
      assert.equal((await call('GET', a.id)).status, 200);
      assert.equal((await call('PUT', a.id)).status, 204);
      assert.equal((await call('DELETE', b.id)).status, 204);
      assert.equal((await call('GET', b.id)).status, 404);
      assert.equal((await call('POST', a.id)).status, 405);
      assert.equal((await fetch(`${base}/other`)).status, 418);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
