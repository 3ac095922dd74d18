/** The branch timeline: every op of every branch, with every attempt in order. */
import { duration, time } from '../format';
import type { Attempt, BranchView } from '../types';
import { Badge } from './Badge';

/** One row per attempt, grouped under its branch op. */
export function Timeline({ branches, history }: { branches: BranchView[]; history: Attempt[] }) {
  const operator = history.filter(
    (a) => !branches.some((b) => b.branchId === a.branchId && b.op === a.op),
  );
  return (
    <ol class="timeline" aria-label="Branch timeline">
      {branches.map((branch) => {
        const attempts = history.filter(
          (a) => a.branchId === branch.branchId && a.op === branch.op,
        );
        return (
          <li key={`${branch.branchId}/${branch.op}`}>
            <h3>
              {branch.branchId} · {branch.op} <Badge value={branch.status} />{' '}
              <span class="muted">{branch.url}</span>
            </h3>
            <AttemptTable attempts={attempts} />
          </li>
        );
      })}
      {operator.length > 0 && (
        <li>
          <h3>Audit</h3>
          <AttemptTable attempts={operator} />
        </li>
      )}
    </ol>
  );
}

function AttemptTable({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length === 0) return <p class="muted">Not attempted yet.</p>;
  return (
    <table class="attempts">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col">Outcome</th>
          <th scope="col">HTTP status</th>
          <th scope="col">Error / note</th>
          <th scope="col">Actor</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a) => (
          <tr key={`${a.op}/${a.attempt}/${a.startedAt}`}>
            <td>{a.attempt}</td>
            <td>{time(a.startedAt)}</td>
            <td>{duration(Date.parse(a.finishedAt) - Date.parse(a.startedAt))}</td>
            <td>
              <Badge value={a.outcome} />
            </td>
            <td>{a.httpStatus ?? '-'}</td>
            <td class="reason">{a.message ?? ''}</td>
            <td>{a.actor ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
