/** Path parameters, bodies and replies of the `/v1/reconciliations` routes. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CLOSED, stringEnum, stringMap, TimeField, UrlField } from './common.js';

/** A job id: lower-case letters, digits, `-` and `_`. */
export const RECONCILIATION_ID_PATTERN = '^[a-z0-9_-]+$';

const JobId = Type.String({ minLength: 1, maxLength: 64, pattern: RECONCILIATION_ID_PATTERN });
const RunId = Type.String({ minLength: 1, maxLength: 32, pattern: '^[0-9]+$' });
const FieldName = Type.String({ minLength: 1, maxLength: 128 });

/**
 * One side of a reconciliation. `type` says which fields apply: `sql` needs `url`
 * (`postgres://`, `mysql://`, `mariadb://` or `sqlite:<path>`) and `query`; `http` needs
 * `url` and takes `headers` and `pageSize`; `csv` needs `folder` and takes `delimiter`.
 */
export const ReconcileSourceSchema = Type.Object(
  {
    type: stringEnum(['sql', 'http', 'csv'] as const),
    url: Type.Optional(UrlField),
    query: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000 })),
    headers: Type.Optional(stringMap(Type.String({ maxLength: 4096 }), 32)),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    folder: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
  },
  { ...CLOSED, title: 'ReconcileSource' },
);
/** One side of a reconciliation. */
export type ReconcileSource = Static<typeof ReconcileSourceSchema>;

/** Key fields, compared fields (numbers within a tolerance) and the reference side. */
export const ReconcileRulesSchema = Type.Object(
  {
    key: Type.Array(
      Type.Object({ field: FieldName, type: stringEnum(['number', 'string'] as const) }, CLOSED),
      { minItems: 1, maxItems: 8 },
    ),
    compare: Type.Array(
      Type.Object(
        {
          field: FieldName,
          type: stringEnum(['number', 'string'] as const),
          tolerance: Type.Optional(Type.Number({ minimum: 0 })),
        },
        CLOSED,
      ),
      { maxItems: 64 },
    ),
    reference: stringEnum(['left', 'right'] as const),
  },
  { ...CLOSED, title: 'ReconcileRules' },
);

/** The repair URL of each mismatch kind; a kind left out is reported only. */
export const ReconcileRepairSchema = Type.Object(
  {
    'missing-left': Type.Optional(UrlField),
    'missing-right': Type.Optional(UrlField),
    different: Type.Optional(UrlField),
  },
  { ...CLOSED, title: 'ReconcileRepair' },
);

const JobFields = {
  id: JobId,
  left: ReconcileSourceSchema,
  right: ReconcileSourceSchema,
  rules: ReconcileRulesSchema,
  mode: stringEnum(['full', 'incremental'] as const),
  /** full mode: how far back each run's window reaches, ms (absent: everything). */
  windowMs: Type.Optional(Type.Integer({ minimum: 1 })),
  /** A cron expression (5 or 6 fields, UTC); absent: runs only when asked. */
  schedule: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  repair: ReconcileRepairSchema,
};

/** Body of `POST /v1/reconciliations`: a job, created or replaced by its id. */
export const ReconciliationDefinitionSchema = Type.Object(JobFields, {
  ...CLOSED,
  title: 'ReconciliationDefinition',
});
/** Body of `POST /v1/reconciliations`. */
export type ReconciliationDefinition = Static<typeof ReconciliationDefinitionSchema>;

/** A stored job as the API shows it: source URLs redacted, header values hidden. */
export const ReconciliationSchema = Type.Object(
  { ...JobFields, updatedAt: TimeField },
  { ...CLOSED, title: 'Reconciliation' },
);
/** A stored job as the API shows it. */
export type Reconciliation = Static<typeof ReconciliationSchema>;

/** Answer of `GET /v1/reconciliations`. */
export const ReconciliationListSchema = Type.Object(
  { items: Type.Array(ReconciliationSchema) },
  { ...CLOSED, title: 'ReconciliationList' },
);

/** `id` in a path. */
export const ReconciliationParamsSchema = Type.Object({ id: JobId }, CLOSED);
/** `id` and `run` in a path. */
export const ReconciliationRunParamsSchema = Type.Object({ id: JobId, run: RunId }, CLOSED);

/** Paging of runs and of a run's mismatches. */
export const ReconciliationPageQuerySchema = Type.Object(
  {
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  CLOSED,
);

const Count = Type.Integer({ minimum: 0 });

/** One run of a job: window, counts and status. */
export const ReconciliationRunSchema = Type.Object(
  {
    id: RunId,
    jobId: JobId,
    status: stringEnum(['running', 'succeeded', 'failed'] as const),
    from: TimeField,
    to: TimeField,
    checkpoint: Type.Union([Type.String(), Type.Null()]),
    counts: Type.Object(
      { compared: Count, same: Count, missingLeft: Count, missingRight: Count, different: Count },
      CLOSED,
    ),
    startedAt: TimeField,
    finishedAt: Type.Union([TimeField, Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { ...CLOSED, title: 'ReconciliationRun' },
);

/** One run of a job. */
export type ReconciliationRun = Static<typeof ReconciliationRunSchema>;

/** Answer of `GET /v1/reconciliations/:id/runs`: oldest first. */
export const ReconciliationRunListSchema = Type.Object(
  {
    items: Type.Array(ReconciliationRunSchema),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { ...CLOSED, title: 'ReconciliationRunList' },
);

/** One mismatch with both sides and its repair transaction. */
export const ReconciliationMismatchSchema = Type.Object(
  {
    kind: stringEnum(['missing-left', 'missing-right', 'different'] as const),
    key: Type.Array(Type.Union([Type.Number(), Type.String()])),
    left: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    right: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    fields: Type.Array(Type.String()),
    repairGid: Type.Union([Type.String(), Type.Null()]),
  },
  { ...CLOSED, title: 'ReconciliationMismatch' },
);

/** Answer of `GET /v1/reconciliations/:id/runs/:run`: the run and a page of mismatches. */
export const ReconciliationRunReportSchema = Type.Object(
  {
    run: ReconciliationRunSchema,
    mismatches: Type.Array(ReconciliationMismatchSchema),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { ...CLOSED, title: 'ReconciliationRunReport' },
);

/** Answer of `POST /v1/reconciliations/:id/run`: the run starts in the background. */
export const ReconciliationStartedSchema = Type.Object(
  { id: JobId, started: Type.Boolean() },
  { ...CLOSED, title: 'ReconciliationStarted' },
);

/** Answer of `DELETE /v1/reconciliations/:id`. */
export const ReconciliationDeletedSchema = Type.Object(
  { id: JobId, deleted: Type.Boolean() },
  { ...CLOSED, title: 'ReconciliationDeleted' },
);
