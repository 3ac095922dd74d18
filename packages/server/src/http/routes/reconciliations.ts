/**
 * The `/v1/reconciliations` routes: jobs defined, listed and removed by id, runs started
 * by hand, and each run's report (counts, then every mismatch with both sides, paged).
 * Source URLs are answered redacted; source credentials are never echoed or logged.
 */
import { AccordError } from '@accord/core';
import {
  ReconciliationDefinitionSchema,
  ReconciliationDeletedSchema,
  ReconciliationListSchema,
  ReconciliationPageQuerySchema,
  ReconciliationParamsSchema,
  ReconciliationRunListSchema,
  ReconciliationRunParamsSchema,
  ReconciliationRunReportSchema,
  ReconciliationSchema,
  ReconciliationStartedSchema,
  type ReconciliationRun,
} from '@accord/core/schemas';
import { redactUrlsIn } from '@accord/protocol';
import type { TargetPolicy } from '../../outbound/target-policy.js';
import { toStoredJob } from '../../reconcile/jobs/job-definition.js';
import type { JobRunner } from '../../reconcile/jobs/job-runner.js';
import type { JobStore, StoredJob } from '../../reconcile/jobs/job-store.js';
import { jobView } from '../../reconcile/jobs/job-view.js';
import type { RunRecord, RunRecords } from '../../reconcile/runner/run-records.js';
import { requireRole, type Authorizer } from '../auth.js';
import { ADMIN_ROUTE, CLIENT_ROUTE, replies, WITH_BODY } from '../replies.js';
import type { AccordApp } from '../typed-app.js';

/** What the routes need. */
export interface ReconciliationRoutesDeps {
  readonly jobs: JobStore;
  readonly runs: RunRecords;
  readonly runner: JobRunner;
  readonly policy: TargetPolicy;
  /** Directories `csv` folders and `sqlite:` sources must lie under. */
  readonly filesRoots: readonly string[];
  readonly now: () => number;
  readonly authorize: Authorizer;
}

const BY_ID = ['URI_TOO_LONG', 'RECONCILIATION_NOT_FOUND', 'STORE_UNAVAILABLE'] as const;

/** Registers the reconciliation routes. */
export function reconciliationRoutes(app: AccordApp, deps: ReconciliationRoutesDeps): void {
  const admin = requireRole(deps.authorize, 'admin');
  const client = requireRole(deps.authorize, 'client');
  const jobOf = async (id: string): Promise<StoredJob> => {
    const job = await store(() => deps.jobs.get(id));
    if (job === undefined) throw notFound(`no reconciliation job ${id}`);
    return job;
  };

  app.post(
    '/v1/reconciliations',
    {
      ...admin,
      schema: {
        summary: 'Define a reconciliation job: create it, or replace the one with its id',
        body: ReconciliationDefinitionSchema,
        response: replies({ 200: ReconciliationSchema }, [
          ...ADMIN_ROUTE,
          ...WITH_BODY,
          'STORE_UNAVAILABLE',
        ]),
      },
    },
    async (request) => {
      const job = await toStoredJob(request.body, deps.policy, deps.now(), deps.filesRoots);
      await store(() => deps.jobs.put(job));
      return jobView(job);
    },
  );

  app.get(
    '/v1/reconciliations',
    {
      ...client,
      schema: {
        summary: 'Reconciliation jobs, by id',
        response: replies({ 200: ReconciliationListSchema }, [
          ...CLIENT_ROUTE,
          'STORE_UNAVAILABLE',
        ]),
      },
    },
    async () => ({ items: (await store(() => deps.jobs.list())).map(jobView) }),
  );

  app.get(
    '/v1/reconciliations/:id',
    {
      ...client,
      schema: {
        summary: 'A reconciliation job',
        params: ReconciliationParamsSchema,
        response: replies({ 200: ReconciliationSchema }, [...CLIENT_ROUTE, ...BY_ID]),
      },
    },
    async (request) => jobView(await jobOf(request.params.id)),
  );

  app.delete(
    '/v1/reconciliations/:id',
    {
      ...admin,
      schema: {
        summary: 'Remove a reconciliation job (its run reports stay)',
        params: ReconciliationParamsSchema,
        response: replies({ 200: ReconciliationDeletedSchema }, [
          ...ADMIN_ROUTE,
          ...WITH_BODY,
          ...BY_ID,
        ]),
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await store(() => deps.jobs.delete(id)))) {
        throw notFound(`no reconciliation job ${id}`);
      }
      return { id, deleted: true };
    },
  );

  app.post(
    '/v1/reconciliations/:id/run',
    {
      ...admin,
      schema: {
        summary: 'Start a run of a reconciliation job now; it goes on in the background',
        params: ReconciliationParamsSchema,
        response: replies({ 202: ReconciliationStartedSchema }, [
          ...ADMIN_ROUTE,
          ...WITH_BODY,
          ...BY_ID,
          'RECONCILIATION_BUSY',
        ]),
      },
    },
    async (request, reply) => {
      const job = await jobOf(request.params.id);
      if ((await store(() => deps.runner.busy(job.id))) || !deps.runner.start(job)) {
        throw new AccordError(
          'RECONCILIATION_BUSY',
          `a run of reconciliation ${job.id} is going on already`,
        );
      }
      return reply.code(202).send({ id: job.id, started: true });
    },
  );

  app.get(
    '/v1/reconciliations/:id/runs',
    {
      ...client,
      schema: {
        summary: 'Runs of a reconciliation job, oldest first: window, status and counts',
        params: ReconciliationParamsSchema,
        querystring: ReconciliationPageQuerySchema,
        response: replies({ 200: ReconciliationRunListSchema }, [...CLIENT_ROUTE, ...BY_ID]),
      },
    },
    async (request) => {
      const job = await jobOf(request.params.id);
      const limit = request.query.limit ?? 100;
      const runs = await store(() => deps.runs.runs(job.id, request.query.cursor, limit));
      const last = runs[runs.length - 1];
      return {
        items: runs.map(runView),
        nextCursor: runs.length === limit && last ? last.id : null,
      };
    },
  );

  app.get(
    '/v1/reconciliations/:id/runs/:run',
    {
      ...client,
      schema: {
        summary: "A run's report: its counts and a page of its mismatches, with both sides",
        params: ReconciliationRunParamsSchema,
        querystring: ReconciliationPageQuerySchema,
        response: replies({ 200: ReconciliationRunReportSchema }, [...CLIENT_ROUTE, ...BY_ID]),
      },
    },
    async (request) => {
      const { id, run: runId } = request.params;
      const run = await store(() => deps.runs.get(id, runId));
      if (run === undefined) {
        throw notFound(`reconciliation ${id} has no run ${runId}`);
      }
      const page = await store(() =>
        deps.runs.mismatches(id, runId, request.query.cursor, request.query.limit ?? 100),
      );
      return {
        run: runView(run),
        mismatches: page.items.map((m) => ({ ...m, key: [...m.key], fields: [...m.fields] })),
        nextCursor: page.nextAfter,
      };
    },
  );
}

function runView(run: RunRecord): ReconciliationRun {
  return {
    ...run,
    error: run.error === null ? null : redactUrlsIn(run.error),
  };
}

function notFound(message: string): AccordError {
  return new AccordError('RECONCILIATION_NOT_FOUND', message);
}

/** Runs a store call, answering STORE_UNAVAILABLE when it fails. */
async function store<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AccordError) throw error;
    throw new AccordError('STORE_UNAVAILABLE', 'the store did not answer', {
      cause: redactUrlsIn(error instanceof Error ? error.message : String(error)),
    });
  }
}
