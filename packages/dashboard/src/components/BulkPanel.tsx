/** Bulk actions on the filtered transactions: a dry-run count first, then a confirmation. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { api, isMissingRoute } from '../api';
import type { Filters } from '../filters';
import { toBulkFilter } from '../filters';
import { message } from '../format';
import type { BulkResult } from '../types';

const ACTIONS = ['retry', 'resolve', 'pause', 'resume'] as const;
type Action = (typeof ACTIONS)[number];

/** The panel. */
export function BulkPanel({ filters }: { filters: Filters }) {
  const client = useQueryClient();
  const [action, setAction] = useState<Action>('retry');
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<'succeeded' | 'failed'>('failed');
  const [counted, setCounted] = useState<BulkResult | null>(null);
  const body = (dryRun: boolean) => ({
    action,
    filter: toBulkFilter(filters),
    reason,
    ...(action === 'resolve' && { status }),
    dryRun,
  });
  const dry = useMutation({
    mutationFn: () => api<BulkResult>('/v1/bulk', { method: 'POST', body: body(true) }),
    onSuccess: setCounted,
  });
  const apply = useMutation({
    mutationFn: () => api<BulkResult>('/v1/bulk', { method: 'POST', body: body(false) }),
    onSuccess: () => {
      setCounted(null);
      void client.invalidateQueries({ queryKey: ['transactions'] });
    },
  });
  const reset = () => {
    setCounted(null);
    apply.reset();
  };
  if (isMissingRoute(dry.error)) {
    return <p class="note">Bulk actions are not available on this coordinator (no /v1/bulk).</p>;
  }
  return (
    <form
      class="bulk"
      aria-label="Bulk action"
      onSubmit={(e) => (e.preventDefault(), dry.mutate())}
    >
      <h2>Bulk action on every matching transaction</h2>
      <label>
        Action
        <select
          value={action}
          onChange={(e) => (setAction(e.currentTarget.value as Action), reset())}
        >
          {ACTIONS.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </label>
      {action === 'resolve' && (
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
      )}
      <label>
        Reason
        <input
          required
          maxLength={500}
          value={reason}
          onInput={(e) => (setReason(e.currentTarget.value), reset())}
        />
      </label>
      <button type="submit" disabled={!reason.trim() || dry.isPending}>
        Count matches (dry run)
      </button>
      {dry.error && <p role="alert">{message(dry.error)}</p>}
      {counted && (
        <div role="alertdialog" aria-labelledby="bulk-confirm" class="confirm">
          <p id="bulk-confirm">
            {counted.matched} transaction(s) match. Apply <strong>{action}</strong> to them?
          </p>
          <button
            type="button"
            onClick={() => apply.mutate()}
            disabled={apply.isPending || counted.matched === 0}
          >
            Yes, {action} {counted.matched}
          </button>
          <button type="button" onClick={reset}>
            Cancel
          </button>
        </div>
      )}
      {apply.data && (
        <p role="status">
          Applied to {apply.data.applied}; {apply.data.failed.length} failed.
        </p>
      )}
      {apply.error && <p role="alert">{message(apply.error)}</p>}
    </form>
  );
}
