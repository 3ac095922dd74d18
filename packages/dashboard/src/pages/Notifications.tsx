/** Best-effort notifications: the list (mode notify) and one notification with its deliveries. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import { Badge } from '../components/Badge';
import { Timeline } from '../components/Timeline';
import { message, time } from '../format';
import type { Route } from '../router';
import { href } from '../router';
import type { NotificationDetail as Detail, Page, TransactionItem } from '../types';

/** The list, newest first, refreshed every 5 s. */
export function Notifications({ route }: { route: Route }) {
  const status = route.params.get('status') ?? undefined;
  const page = useQuery({
    queryKey: ['notifications', status],
    queryFn: () =>
      api<Page<TransactionItem>>('/v1/transactions', {
        query: { mode: 'notify', status, limit: 100 },
      }),
    refetchInterval: 5000,
  });
  return (
    <section aria-labelledby="notify-title">
      <h1 id="notify-title">Notifications</h1>
      <nav aria-label="Notification status" class="tabs">
        <a href={href('/notifications')} aria-current={status === undefined ? 'page' : undefined}>
          all
        </a>
        {['submitted', 'succeeded', 'failed'].map((s) => (
          <a
            key={s}
            href={href('/notifications', { status: s })}
            aria-current={status === s ? 'page' : undefined}
          >
            {s}
          </a>
        ))}
      </nav>
      {page.error && <p role="alert">{message(page.error)}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Next delivery</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {page.data?.items.length === 0 && (
            <tr>
              <td colSpan={5}>No notification.</td>
            </tr>
          )}
          {page.data?.items.map((n) => (
            <tr key={n.gid}>
              <td>
                <a href={href(`/notifications/${encodeURIComponent(n.gid)}`)}>{n.gid}</a>
              </td>
              <td>
                <Badge value={n.status} />
              </td>
              <td>{time(n.createdAt)}</td>
              <td>{time(n.nextAttemptAt)}</td>
              <td class="reason">{n.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** One notification: its fields and every delivery attempt. */
export function NotificationDetail({ id }: { id: string }) {
  const detail = useQuery({
    queryKey: ['notification', id],
    queryFn: () => api<Detail>(`/v1/notifications/${encodeURIComponent(id)}`),
    refetchInterval: 5000,
  });
  if (detail.error) return <p role="alert">{message(detail.error)}</p>;
  if (!detail.data) return <p>Loading…</p>;
  const { notification, history } = detail.data;
  return (
    <section aria-labelledby="n-title">
      <h1 id="n-title">
        {notification.id} <Badge value={notification.status} />
      </h1>
      <pre>{JSON.stringify(notification, null, 2)}</pre>
      <h2>Deliveries</h2>
      <Timeline
        branches={[...new Set(history.map((a) => `${a.branchId}\u0000${a.op}`))].map((key) => {
          const [branchId = '', op = ''] = key.split('\u0000');
          return {
            branchId,
            op,
            url: notification.url,
            payload: '',
            status: '',
            attempts: 0,
            nextAttemptAt: '',
            lastError: null,
          };
        })}
        history={history}
      />
    </section>
  );
}
