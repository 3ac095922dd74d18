/** Health: the store's readiness and the instances sharing it, with the leases they hold. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import { message, time } from '../format';
import type { Stats } from '../types';

/** The page, refreshed every 5 s. */
export function Health() {
  const ready = useQuery({
    queryKey: ['readyz'],
    queryFn: () => api<{ status: string; store: string }>('/readyz'),
    refetchInterval: 5000,
    retry: false,
  });
  const stats = useQuery({
    queryKey: ['stats'],
    queryFn: () => api<Stats>('/v1/stats'),
    refetchInterval: 5000,
  });
  return (
    <section aria-labelledby="h-title">
      <h1 id="h-title">Health</h1>
      <p role="status">
        Store:{' '}
        {ready.data
          ? `${ready.data.store}, ready`
          : ready.error
            ? `not ready: ${message(ready.error)}`
            : 'checking…'}
      </p>
      <table>
        <caption>Coordinator instances sharing the store (from their heartbeats)</caption>
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Leases held</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {stats.data?.instances.map((i) => (
            <tr key={i.nodeId}>
              <td>
                {i.nodeId}
                {i.self ? ' (this one)' : ''}
              </td>
              <td>{i.leases}</td>
              <td>{time(i.seenAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {stats.error && <p role="alert">{message(stats.error)}</p>}
    </section>
  );
}
