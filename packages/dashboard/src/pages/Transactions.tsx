/** Transactions: filters, cursor paging, live refresh of the first page, bulk actions. */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { BulkPanel } from '../components/BulkPanel';
import { FilterForm } from '../components/FilterForm';
import { TransactionTable } from '../components/TransactionTable';
import { readFilters, toQuery } from '../filters';
import { message } from '../format';
import { href, type Route } from '../router';
import type { Page, TransactionItem } from '../types';

const PAGE_SIZE = 50;

/** A filtered, paged list; `fixed` filters are always applied (the parked queue). */
export function TransactionList(props: {
  route: Route;
  title: string;
  fixed?: Record<string, string>;
}) {
  const filters = { ...readFilters(props.route.params), ...props.fixed };
  const key = JSON.stringify(filters);
  const [cursors, setCursors] = useState<{ key: string; stack: string[] }>({ key, stack: [] });
  const stack = cursors.key === key ? cursors.stack : [];
  const cursor = stack.at(-1);
  const page = useQuery({
    queryKey: ['transactions', key, cursor],
    queryFn: () =>
      api<Page<TransactionItem>>('/v1/transactions', {
        query: { ...toQuery(filters), cursor, limit: PAGE_SIZE },
      }),
    refetchInterval: cursor === undefined ? 5000 : false,
  });
  const move = (next: string[]) => setCursors({ key, stack: next });
  return (
    <section aria-labelledby="list-title">
      <h1 id="list-title">{props.title}</h1>
      <FilterForm path={props.route.path} filters={filters} />
      {page.error && <p role="alert">{message(page.error)}</p>}
      {page.data && (
        <>
          <TransactionTable
            items={page.data.items}
            caption={`Page ${stack.length + 1}, ${page.data.items.length} transaction(s), newest first`}
          />
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              disabled={stack.length === 0}
              onClick={() => move(stack.slice(0, -1))}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={page.data.nextCursor === null}
              onClick={() => page.data?.nextCursor && move([...stack, page.data.nextCursor])}
            >
              Next page
            </button>
          </nav>
        </>
      )}
      {!page.data && !page.error && <p>Loading…</p>}
      <BulkPanel filters={filters} />
    </section>
  );
}

/** The transactions page. */
export function Transactions({ route }: { route: Route }) {
  return <TransactionList route={route} title="Transactions" />;
}

/**
 * The operator's queues: parked transactions (waiting for an operator) and stuck ones
 * (not finished long past their mode's threshold), one at a time.
 */
export function Parked({ route }: { route: Route }) {
  const stuck = route.path === '/parked/stuck';
  return (
    <>
      <nav class="pager" aria-label="Queues">
        <a href={href('/parked')} aria-current={stuck ? undefined : 'page'}>
          Parked
        </a>
        <a href={href('/parked/stuck')} aria-current={stuck ? 'page' : undefined}>
          Stuck
        </a>
      </nav>
      <TransactionList
        route={route}
        title={stuck ? 'Stuck transactions' : 'Parked transactions'}
        fixed={stuck ? { stuck: 'true' } : { parked: 'true' }}
      />
    </>
  );
}
