/** A stored job as the API shows it: credentials in source URLs and header values hidden. */
import { redactUrl } from '@accord/protocol';
import type { ReconcileSource, Reconciliation } from '@accord/core/schemas';
import type { SourceSpec } from '../sources/source.js';
import type { StoredJob } from './job-store.js';

/** What `GET /v1/reconciliations/:id` answers for `job`. */
export function jobView(job: StoredJob): Reconciliation {
  return {
    id: job.id,
    left: sourceView(job.left),
    right: sourceView(job.right),
    rules: {
      key: job.rules.key.map((k) => ({ ...k })),
      compare: job.rules.compare.map((c) => ({ ...c })),
      reference: job.rules.reference,
    },
    mode: job.mode,
    ...(job.windowMs === undefined ? {} : { windowMs: job.windowMs }),
    ...(job.schedule === undefined ? {} : { schedule: job.schedule }),
    repair: Object.fromEntries(
      Object.entries(job.repair).map(([kind, url]) => [kind, redactUrl(url)]),
    ),
    updatedAt: job.updatedAt,
  };
}

function sourceView(s: SourceSpec): ReconcileSource {
  switch (s.type) {
    case 'sql':
      return { type: 'sql', url: redactUrl(s.url), query: s.query };
    case 'http':
      return {
        type: 'http',
        url: redactUrl(s.url),
        ...(s.headers === undefined
          ? {}
          : { headers: Object.fromEntries(Object.keys(s.headers).map((name) => [name, '***'])) }),
        ...(s.pageSize === undefined ? {} : { pageSize: s.pageSize }),
      };
    case 'csv':
      return {
        type: 'csv',
        folder: s.folder,
        ...(s.delimiter === undefined ? {} : { delimiter: s.delimiter }),
      };
  }
}
