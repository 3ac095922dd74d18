/** A page of transactions as a table; each gid links to its detail. */
import { time } from '../format';
import { href } from '../router';
import type { TransactionItem } from '../types';
import { Badge } from './Badge';

/** The table. */
export function TransactionTable({
  items,
  caption,
}: {
  items: TransactionItem[];
  caption: string;
}) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Gid</th>
          <th scope="col">Mode</th>
          <th scope="col">Status</th>
          <th scope="col">Flags</th>
          <th scope="col">Created</th>
          <th scope="col">Next attempt</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {items.length === 0 && (
          <tr>
            <td colSpan={7}>No transaction matches.</td>
          </tr>
        )}
        {items.map((tx) => (
          <tr key={tx.gid}>
            <td>
              <a href={href(`/transactions/${encodeURIComponent(tx.gid)}`)}>{tx.gid}</a>
            </td>
            <td>{tx.mode}</td>
            <td>
              <Badge value={tx.status} />
            </td>
            <td>
              {tx.parked && <Badge value="parked" />}
              {tx.paused && <Badge value="paused" />}
              {Object.entries(tx.labels ?? {}).map(([k, v]) => (
                <span class="label" key={k}>{`${k}=${v}`}</span>
              ))}
            </td>
            <td>{time(tx.createdAt)}</td>
            <td>{time(tx.nextAttemptAt)}</td>
            <td class="reason">{tx.reason ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
