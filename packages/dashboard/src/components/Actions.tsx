/** Operator actions on one transaction: retry now, resolve with a reason, pause, resume. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { api, isMissingRoute } from '../api';
import { message } from '../format';
import type { TransactionItem } from '../types';

type Action = 'retry' | 'resolve' | 'pause' | 'resume';

/** The action bar of a transaction that is not terminal. */
export function Actions({ tx }: { tx: TransactionItem }) {
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<'succeeded' | 'failed'>('failed');
  const act = useMutation({
    mutationFn: (action: Action) =>
      api(`/v1/transactions/${encodeURIComponent(tx.gid)}/${action}`, {
        method: 'POST',
        ...(action === 'resolve' && { body: { status, reason } }),
        ...((action === 'pause' || action === 'resume') && { body: { reason } }),
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['transaction', tx.gid] }),
  });
  if (tx.status === 'succeeded' || tx.status === 'failed') return null;
  const needsReason = !reason.trim();
  return (
    <form class="actions" aria-label="Actions" onSubmit={(e) => e.preventDefault()}>
      <button type="button" onClick={() => act.mutate('retry')} disabled={act.isPending}>
        Retry now
      </button>
      <label>
        Reason
        <input value={reason} maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <label>
        Resolve as
        <select
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value as 'succeeded' | 'failed')}
        >
          <option value="failed">failed</option>
          <option value="succeeded">succeeded</option>
        </select>
      </label>
      <button
        type="button"
        onClick={() => act.mutate('resolve')}
        disabled={needsReason || act.isPending}
      >
        Resolve
      </button>
      <button
        type="button"
        onClick={() => act.mutate(tx.paused ? 'resume' : 'pause')}
        disabled={needsReason || act.isPending}
      >
        {tx.paused ? 'Resume' : 'Pause'}
      </button>
      {act.isSuccess && <p role="status">Done.</p>}
      {act.error && (
        <p role="alert">
          {isMissingRoute(act.error)
            ? 'This coordinator does not offer that action yet.'
            : message(act.error)}
        </p>
      )}
    </form>
  );
}
