/**
 * The JSON shapes of the coordinator's `/v1` API (docs/protocol.md), as the SDK sends and
 * receives them: the types of the schemas in `@accord/core/schemas`, the ones the
 * coordinator validates with and generates its OpenAPI document from. Times are ISO-8601
 * strings in UTC, durations milliseconds.
 */
import type { ListQueryString } from '@accord/core/schemas';

export type {
  AbortOptions,
  Attempt,
  Branch,
  BranchLastError,
  CreateTransactionRequest,
  QueryResult,
  RegisterBranchRequest,
  ResolveRequest,
  RetryOptions,
  StepRequest,
  SubmitOptions,
  TccBranchRequest,
  Transaction,
  TransactionOptionsInput,
  TransactionPage,
  WaitResult,
  XaBranchRequest,
} from '@accord/core';

/**
 * Filters of `list`: its query string, with `since`/`until` (bounds of the creation
 * time) also as a `Date` or epoch milliseconds.
 *
 * @example
 * await accord.list({ status: 'failed', since: new Date(Date.now() - 3_600_000), limit: 100 });
 */
export interface ListFilters extends Omit<ListQueryString, 'since' | 'until'> {
  since?: Date | number | string;
  until?: Date | number | string;
}
