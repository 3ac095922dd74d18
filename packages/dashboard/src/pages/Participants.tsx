/** Participants (target hosts): calls, errors, latency, paused state and caps; pause and resume. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { api, isMissingRoute } from '../api';
import { duration, message } from '../format';
import type { Participant } from '../types';

/** The page, refreshed every 5 s. */
export function Participants() {
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const list = useQuery({
    queryKey: ['participants'],
    queryFn: () => api<{ items: Participant[] }>('/v1/participants'),
    refetchInterval: 5000,
    retry: false,
  });
  const toggle = useMutation({
    mutationFn: (p: Participant) =>
      api(`/v1/participants/${encodeURIComponent(p.host)}/${p.paused ? 'resume' : 'pause'}`, {
        method: 'POST',
        body: { reason },
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['participants'] }),
  });
  if (isMissingRoute(list.error)) {
    return (
      <section aria-labelledby="p-title">
        <h1 id="p-title">Participants</h1>
        <p class="empty">
          This coordinator does not report participants yet (no /v1/participants). Per-host calls,
          errors, pauses and caps appear here once it does.
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="p-title">
      <h1 id="p-title">Participants</h1>
      {list.error && <p role="alert">{message(list.error)}</p>}
      <label>
        Reason for pause or resume
        <input value={reason} maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      {toggle.error && <p role="alert">{message(toggle.error)}</p>}
      <table>
        <caption>Last 5 minutes, this instance; pause state is shared by all instances.</caption>
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">Calls</th>
            <th scope="col">Error rate</th>
            <th scope="col">p50 / p99</th>
            <th scope="col">In flight</th>
            <th scope="col">Held</th>
            <th scope="col">Caps</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.length === 0 && (
            <tr>
              <td colSpan={8}>No calls in the last 5 minutes.</td>
            </tr>
          )}
          {list.data?.items.map((p) => (
            <tr key={p.host}>
              <td>{p.host}</td>
              <td>{p.calls}</td>
              <td>{(p.errorRate * 100).toFixed(1)} %</td>
              <td>
                {duration(p.latencyP50Ms)} / {duration(p.latencyP99Ms)}
              </td>
              <td>{p.inFlight}</td>
              <td>{p.held}</td>
              <td>
                {p.caps.concurrency ?? '∞'} at once, {p.caps.ratePerSec ?? '∞'}/s
              </td>
              <td>
                {p.paused ? `paused by ${p.pausedBy ?? '?'}: ${p.pauseReason ?? ''}` : 'active'}{' '}
                <button
                  type="button"
                  disabled={!reason.trim() || toggle.isPending}
                  onClick={() => toggle.mutate(p)}
                  aria-label={`${p.paused ? 'Resume' : 'Pause'} ${p.host}`}
                >
                  {p.paused ? 'Resume' : 'Pause'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
