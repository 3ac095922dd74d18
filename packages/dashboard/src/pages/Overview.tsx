/** Overview: live charts of throughput, failures, latency and the queue, polled every 5 s. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import { Chart } from '../components/Chart';
import { duration, message } from '../format';
import { href } from '../router';
import type { Stats } from '../types';

const POLL_MS = 5000;

/** Latency and lag samples kept across polls (the server keeps counts, not these). */
const samples: { at: number; p50: number | null; p99: number | null; lag: number }[] = [];

function record(stats: Stats): void {
  const at = Math.floor(stats.now / 1000);
  if (samples.at(-1)?.at === at) return;
  samples.push({ at, p50: stats.latency.p50Ms, p99: stats.latency.p99Ms, lag: stats.dueLagMs });
  if (samples.length > 360) samples.shift();
}

/** Every minute of the last hour, so the axis always spans it. */
function lastHour(now: number): number[] {
  const current = Math.floor(now / 60_000) * 60_000;
  return Array.from({ length: 60 }, (_, i) => current - (59 - i) * 60_000);
}

function perMinute(stats: Stats, pick: (row: Stats['activity'][number]) => number) {
  const minutes = lastHour(stats.now);
  const modes = [...new Set(stats.activity.map((r) => r.mode))];
  return {
    x: minutes.map((m) => m / 1000),
    series: modes.map((mode) => ({
      label: mode,
      values: minutes.map((m) => {
        const row = stats.activity.find((r) => r.minute === m && r.mode === mode);
        return row ? pick(row) : 0;
      }),
    })),
  };
}

/** The overview page. */
export function Overview() {
  const stats = useQuery({
    queryKey: ['stats'],
    queryFn: () => api<Stats>('/v1/stats'),
    refetchInterval: POLL_MS,
  });
  if (stats.error) return <p role="alert">Cannot read /v1/stats: {message(stats.error)}</p>;
  if (!stats.data) return <p>Loading…</p>;
  const data = stats.data;
  record(data);
  const live = data.live.reduce((n, c) => n + c.count, 0);
  // A first point ten minutes back keeps the axis readable until samples accumulate.
  const start = { at: (samples[0]?.at ?? 0) - 600, p50: null, p99: null, lag: null };
  const sampled = [start, ...samples];
  const ended = perMinute(data, (r) => r.succeeded + r.failed);
  const failures = perMinute(data, (r) => r.failed);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <dl class="tiles">
        <Tile label="Live transactions" value={live} />
        <Tile label="Parked" value={data.parked} link={href('/parked')} />
        {data.stuck !== undefined && <Tile label="Stuck" value={data.stuck} />}
        {data.paused !== undefined && <Tile label="Paused" value={data.paused} />}
        <Tile label="Due-queue lag" value={duration(data.dueLagMs)} />
        <Tile
          label="Branch p50 / p99"
          value={`${duration(data.latency.p50Ms)} / ${duration(data.latency.p99Ms)}`}
        />
        <Tile label="Instances" value={data.instances.length} link={href('/health')} />
      </dl>
      <div class="charts">
        <Chart title="Transactions ended per minute, by mode" {...ended} />
        <Chart title="Failed per minute, by mode" {...failures} />
        <Chart
          title="Branch latency (ms)"
          x={sampled.map((s) => s.at)}
          series={[
            { label: 'p50', values: sampled.map((s) => s.p50) },
            { label: 'p99', values: sampled.map((s) => s.p99) },
          ]}
        />
        <Chart
          title="Due-queue lag (ms)"
          x={sampled.map((s) => s.at)}
          series={[{ label: 'lag', values: sampled.map((s) => s.lag) }]}
        />
      </div>
      <h2>Live by mode and status</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Mode</th>
            <th scope="col">Status</th>
            <th scope="col">Parked</th>
            <th scope="col">Count</th>
          </tr>
        </thead>
        <tbody>
          {data.live.length === 0 && (
            <tr>
              <td colSpan={4}>Nothing running.</td>
            </tr>
          )}
          {data.live.map((c) => (
            <tr key={`${c.mode}/${c.status}/${c.parked}`}>
              <td>{c.mode}</td>
              <td>
                <a
                  href={href('/transactions', {
                    mode: c.mode,
                    status: c.status,
                    parked: String(c.parked),
                  })}
                >
                  {c.status}
                </a>
              </td>
              <td>{c.parked ? 'yes' : 'no'}</td>
              <td>{c.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Tile({ label, value, link }: { label: string; value: string | number; link?: string }) {
  return (
    <div class="tile">
      <dt>{label}</dt>
      <dd>{link ? <a href={link}>{value}</a> : value}</dd>
    </div>
  );
}
