/**
 * Turns a job definition from the API into a stored job, checking what the schema cannot:
 * the fields each source type needs, the SQL URL's scheme, the cron expression, and every
 * URL the coordinator will call against the outbound target policy.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { Cron } from 'croner';
import { ValidationError, type FieldIssue } from '@accord/core';
import type { ReconcileSource, ReconciliationDefinition } from '@accord/core/schemas';
import type { PendingHost, TargetPolicy } from '../../outbound/target-policy.js';
import type { SourceSpec } from '../sources/source.js';
import type { StoredJob } from './job-store.js';

const SQL_SCHEMES = ['postgres', 'postgresql', 'mysql', 'mariadb', 'sqlite'];

/** Why `expression` is not a cron expression croner can schedule, or null. */
export function cronProblem(expression: string): string | null {
  try {
    const cron = new Cron(expression, { paused: true, timezone: 'UTC' });
    return cron.nextRun() === null ? 'is a cron expression that never fires' : null;
  } catch (error) {
    return `is not a valid cron expression (${error instanceof Error ? error.message : String(error)})`;
  }
}

/**
 * Why the coordinator may not read the file or folder `path`, or null: it must be absolute
 * and lie inside one of `roots` (ACCORD_RECONCILE_FILES), `..` and all resolved.
 */
export function filePlaceProblem(path: string, roots: readonly string[]): string | null {
  if (!isAbsolute(path)) return 'must be an absolute path';
  if (roots.length === 0) {
    return 'names a file of the coordinator, and ACCORD_RECONCILE_FILES allows none';
  }
  const target = resolve(path);
  const inside = roots.some((root) => {
    const rest = relative(resolve(root), target);
    return rest === '' || (!rest.startsWith('..') && !isAbsolute(rest));
  });
  return inside ? null : `is outside the directories ACCORD_RECONCILE_FILES allows`;
}

/** The path of a `sqlite:` URL (`sqlite:/a.db`, `sqlite:///a.db`), else null. */
function sqlitePath(url: string): string | null {
  const match = /^sqlite:(?:\/\/)?(.*)$/i.exec(url);
  return match ? match[1]! : null;
}

/** The stored job of `body`; throws INVALID_REQUEST listing every field at fault. */
export async function toStoredJob(
  body: ReconciliationDefinition,
  policy: TargetPolicy,
  now: number,
  filesRoots: readonly string[] = [],
): Promise<StoredJob> {
  const issues: FieldIssue[] = [];
  const pending: PendingHost[] = [];
  const url = (value: string, path: string) => {
    const problem = policy.checkUrl(value, { path, list: pending }, 'http');
    if (problem) issues.push({ path, message: problem });
  };
  const left = toSource(body.left, '/left', issues, url);
  const right = toSource(body.right, '/right', issues, url);
  for (const [side, source] of [
    ['left', left],
    ['right', right],
  ] as const) {
    const place =
      source?.type === 'csv'
        ? { field: 'folder', path: source.folder }
        : source?.type === 'sql' && sqlitePath(source.url) !== null
          ? { field: 'url', path: sqlitePath(source.url)! }
          : null;
    if (place === null) continue;
    const problem = filePlaceProblem(place.path, filesRoots);
    if (problem) issues.push({ path: `/${side}/${place.field}`, message: problem });
  }
  for (const [kind, target] of Object.entries(body.repair)) {
    if (target !== undefined) url(target, `/repair/${kind}`);
  }
  if (body.schedule !== undefined) {
    const problem = cronProblem(body.schedule);
    if (problem) issues.push({ path: '/schedule', message: problem });
  }
  if (body.mode === 'incremental' && body.windowMs !== undefined) {
    issues.push({ path: '/windowMs', message: 'applies to full mode only' });
  }
  const keys = new Set<string>();
  body.rules.key.forEach((k, i) => {
    if (keys.has(k.field)) issues.push({ path: `/rules/key/${i}/field`, message: 'is repeated' });
    keys.add(k.field);
  });
  if (issues.length === 0) issues.push(...(await policy.checkPending(pending)));
  if (issues.length > 0 || left === undefined || right === undefined) {
    throw new ValidationError(issues);
  }
  return {
    id: body.id,
    left,
    right,
    rules: body.rules,
    mode: body.mode,
    windowMs: body.windowMs,
    schedule: body.schedule,
    repair: body.repair,
    updatedAt: new Date(now).toISOString(),
  };
}

function toSource(
  s: ReconcileSource,
  path: string,
  issues: FieldIssue[],
  checkUrl: (value: string, path: string) => void,
): SourceSpec | undefined {
  const start = issues.length;
  const need = (field: keyof ReconcileSource) => {
    if (s[field] === undefined) {
      issues.push({ path: `${path}/${field}`, message: `is required for a ${s.type} source` });
    }
  };
  const refuse = (fields: readonly (keyof ReconcileSource)[]) => {
    for (const field of fields) {
      if (s[field] !== undefined) {
        issues.push({ path: `${path}/${field}`, message: `does not apply to a ${s.type} source` });
      }
    }
  };
  switch (s.type) {
    case 'sql': {
      need('url');
      need('query');
      refuse(['headers', 'pageSize', 'folder', 'delimiter']);
      const scheme = s.url === undefined ? undefined : /^([a-z][a-z0-9+.-]*):/i.exec(s.url)?.[1];
      if (s.url !== undefined && !SQL_SCHEMES.includes(scheme?.toLowerCase() ?? '')) {
        issues.push({
          path: `${path}/url`,
          message: `has an unknown store scheme "${scheme ?? ''}" (use ${SQL_SCHEMES.join(', ')})`,
        });
      }
      if (issues.length > start) return undefined;
      return { type: 'sql', url: s.url!, query: s.query! };
    }
    case 'http':
      need('url');
      refuse(['query', 'folder', 'delimiter']);
      if (s.url !== undefined) checkUrl(s.url, `${path}/url`);
      if (issues.length > start) return undefined;
      return { type: 'http', url: s.url!, headers: s.headers, pageSize: s.pageSize };
    case 'csv':
      need('folder');
      refuse(['url', 'query', 'headers', 'pageSize']);
      if (issues.length > start) return undefined;
      return { type: 'csv', folder: s.folder!, delimiter: s.delimiter };
  }
}
