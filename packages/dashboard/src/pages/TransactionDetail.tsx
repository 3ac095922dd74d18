/** One transaction: status, actions, branch timeline with every attempt, payloads. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import { Actions } from '../components/Actions';
import { Badge } from '../components/Badge';
import { Timeline } from '../components/Timeline';
import { message, time } from '../format';
import type { TransactionDetail as Detail } from '../types';

/** The detail page, refreshed every 2 s while the transaction is not terminal. */
export function TransactionDetail({ gid }: { gid: string }) {
  const detail = useQuery({
    queryKey: ['transaction', gid],
    queryFn: () => api<Detail>(`/v1/transactions/${encodeURIComponent(gid)}`),
    refetchInterval: (query) => {
      const status = query.state.data?.transaction.status;
      return status === 'succeeded' || status === 'failed' ? false : 2000;
    },
  });
  if (detail.error) return <p role="alert">{message(detail.error)}</p>;
  if (!detail.data) return <p>Loading…</p>;
  const { transaction: tx, history } = detail.data;
  const branches = tx.branches ?? [];
  return (
    <section aria-labelledby="tx-title">
      <h1 id="tx-title">
        {tx.gid} <Badge value={tx.status} /> {tx.parked && <Badge value="parked" />}
        {tx.paused && <Badge value="paused" />}
      </h1>
      <dl class="facts">
        <dt>Mode</dt>
        <dd>{tx.mode}</dd>
        <dt>Created</dt>
        <dd>{time(tx.createdAt)}</dd>
        <dt>Finished</dt>
        <dd>{time(tx.finishedAt)}</dd>
        <dt>Next attempt</dt>
        <dd>{time(tx.nextAttemptAt)}</dd>
        <dt>Reason</dt>
        <dd>{tx.reason ?? '-'}</dd>
        {Object.entries(tx.labels ?? {}).map(([k, v]) => (
          <>
            <dt key={`k-${k}`}>Label {k}</dt>
            <dd key={`v-${k}`}>{v}</dd>
          </>
        ))}
      </dl>
      <Actions tx={tx} />
      <h2>Timeline</h2>
      <Timeline branches={branches} history={history} />
      <h2>Payloads</h2>
      {branches.map((b) => (
        <details key={`${b.branchId}/${b.op}`}>
          <summary>
            {b.branchId} · {b.op}
          </summary>
          <pre>{b.payload || '(empty)'}</pre>
        </details>
      ))}
    </section>
  );
}
