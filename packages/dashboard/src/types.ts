/** The API's shapes, as far as the dashboard reads them. */

export const MODES = ['saga', 'tcc', 'xa', 'msg', 'notify', 'tcc-rest'] as const;
export const STATUSES = ['prepared', 'submitted', 'succeeded', 'aborting', 'failed'] as const;

export interface TransactionItem {
  gid: string;
  mode: string;
  status: string;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  parked: boolean;
  paused?: boolean;
  labels?: Record<string, string>;
}

export interface Attempt {
  branchId: string;
  op: string;
  attempt: number;
  startedAt: string;
  finishedAt: string;
  outcome: string;
  httpStatus: number | null;
  message: string | null;
  actor?: string | null;
}

export interface BranchView {
  branchId: string;
  op: string;
  url: string;
  payload: string;
  status: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: { httpStatus: number | null; message: string; at: string } | null;
}

export interface TransactionDetail {
  transaction: TransactionItem & { branches?: BranchView[] };
  history: Attempt[];
}

export interface NotificationDetail {
  notification: Record<string, unknown> & { id: string; status: string; url: string };
  history: Attempt[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Stats {
  now: number;
  store: string;
  live: { mode: string; status: string; parked: boolean; count: number }[];
  parked: number;
  paused?: number;
  stuck?: number;
  dueLagMs: number;
  activity: {
    minute: number;
    mode: string;
    succeeded: number;
    failed: number;
    calls: number;
    callFailures: number;
  }[];
  latency: { p50Ms: number | null; p99Ms: number | null; calls: number };
  instances: { nodeId: string; self: boolean; leases: number; seenAt: number }[];
}

export interface Participant {
  host: string;
  calls: number;
  errors: number;
  errorRate: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  inFlight: number;
  held: number;
  paused: boolean;
  pausedBy: string | null;
  pauseReason: string | null;
  caps: { concurrency: number | null; ratePerSec: number | null };
}

export interface BulkResult {
  matched: number;
  applied: number;
  failed: { gid: string; code: string; message: string }[];
}
