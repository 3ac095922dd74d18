/**
 * The arbitrary of requests: a route of the document, values for its path parameters,
 * query string and body from its schemas, then, more often than not, one hostile change.
 */
import fc from 'fast-check';
import type { ApiRoute, Json } from './api-routes.js';
import { Choices, MUTATIONS } from './mutations.js';
import { encodeValue, render, type RawRequest, type RequestDraft } from './raw-request.js';
import { SchemaArbitraries, type Hints } from './schema-arbitrary.js';
import { SHAPERS } from './shapers.js';

/** What the requests are aimed at. */
export interface Targets {
  /** URLs of a live participant (they answer 200, 409 or 425). */
  readonly participantUrls: readonly string[];
  /** Gids (and notification ids) the requests share, so they meet each other's work. */
  readonly gids: readonly string[];
  readonly adminToken: string;
}

/** URLs the coordinator refuses or cannot reach, next to the live ones. */
const HOSTILE_URLS = [
  'http://169.254.169.254/latest',
  'ftp://127.0.0.1/x',
  '/relative',
  'http://[::1',
  'broker://events/orders',
  'http://127.0.0.1:1/closed',
  'javascript:alert(1)',
  'http://user:pass@127.0.0.1:1/x',
];

function hintsFor(targets: Targets): Hints {
  const url = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...targets.participantUrls) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_URLS) },
  );
  const gid = fc.constantFrom(...targets.gids);
  const stepId = fc.constantFrom('01', '02', 'a', 'b', 'c');
  const headerName = fc.constantFrom('X-Trace', 'x-tenant', 'Accord-Gid', 'Host', 'bad name', '');
  return {
    action: url,
    compensate: url,
    checkUrl: url,
    confirm: url,
    cancel: url,
    commit: url,
    rollback: url,
    url,
    gid,
    id: fc.oneof(gid, stepId),
    branchId: fc.constantFrom('b1', 'b2', 'b3'),
    dependsOn: fc.array(stepId, { maxLength: 2 }),
    headers: fc.dictionary(
      headerName,
      fc.constantFrom('v', 'a\r\nb', '', 'é', '日本', 'a\u0001b'),
      { maxKeys: 2 },
    ),
    timeoutMs: fc.constantFrom(null, 1, 50, 60_000),
    cursor: fc.constant('not-a-cursor'),
    since: fc.constantFrom('2024-01-01T00:00:00Z', '0', String(Date.now()), 'yesterday'),
    until: fc.constantFrom('2999-01-01', String(Date.now() + 60_000), '1e3'),
    // Operator controls: labels on create, list and bulk filters, reasons.
    labels: fc.dictionary(
      fc.constantFrom('team', 'order', 'Bad Key', 'a'.repeat(64), 'x.y-z_1'),
      fc.constantFrom('pay', '42', '', 'a\u0001b', 'v'.repeat(129)),
      { maxKeys: 3 },
    ),
    label: fc.oneof(
      fc.constantFrom('team=pay', 'order=42', 'Bad=1', 'novalue', '=x', 'a=b=c'),
      fc.array(fc.constantFrom('team=pay', 'team=ops', 'order=42'), { minLength: 1, maxLength: 3 }),
    ),
    gidPrefix: fc.oneof(
      gid.map((g) => g.slice(0, 3)),
      fc.constantFrom('%', '_', 'order-', '\\'),
    ),
    reason: fc.constantFrom('maintenance', ' ', '', 'r'.repeat(501), 'incident\n7'),
    dryRun: fc.boolean(),
    // The DTM-compatible API.
    branch_id: fc.constantFrom('b1', 'b2', '01'),
    trans_type: fc.constantFrom('saga', 'tcc', 'xa', 'msg', 'workflow'),
    query_prepared: url,
    custom_data: fc.constantFrom('', '{"concurrent":true,"orders":{"1":[0]}}', '{"delay":5}', 'x'),
    // TCC for REST: links that expire soon, later, or have expired; now and then not a time.
    uri: url,
    expires: fc.oneof(
      fc
        .integer({ min: -5_000, max: 600_000 })
        .map((ms) => new Date(Date.now() + ms).toISOString()),
      fc.integer({ min: -5_000, max: 600_000 }).map((ms) => Date.now() + ms),
      fc.constantFrom('tomorrow', '', -1),
    ),
  };
}

/** Mutation names and how often each is drawn (the well-formed request has its own weight). */
const KINDS = Object.keys(MUTATIONS);

/** The arbitrary of raw requests over `routes`. */
export function requests(
  routes: readonly ApiRoute[],
  resolve: (ref: string) => Json,
  targets: Targets,
): fc.Arbitrary<RawRequest> {
  const schemas = new SchemaArbitraries(resolve, hintsFor(targets));
  const perRoute = routes.map((route) =>
    fc
      .record({
        params: fc.record(
          Object.fromEntries(route.pathParams.map((p) => [p.name, schemas.of(p.schema, p.name)])),
        ),
        query: fc.record(
          Object.fromEntries(route.query.map((p) => [p.name, schemas.of(p.schema, p.name)])),
          { requiredKeys: route.query.filter((p) => p.required).map((p) => p.name) },
        ),
        body: route.body
          ? route.body.required
            ? schemas.of(route.body.schema)
            : fc.option(schemas.of(route.body.schema), { nil: undefined })
          : fc.constant(undefined),
        kind: fc.oneof(
          { weight: 1, arbitrary: fc.constant('valid') },
          { weight: 1, arbitrary: fc.constant('shaped') },
          { weight: 3, arbitrary: fc.constantFrom(...KINDS) },
        ),
        seed: fc.integer(),
      })
      .map(({ params, query, body, kind, seed }) => {
        const choices = new Choices(seed);
        const shaper = SHAPERS[`${route.method} ${route.path}`];
        if (kind === 'shaped' && shaper && isObject(body)) {
          shaper(body, choices, targets.participantUrls[0]!);
        }
        const draft: RequestDraft = {
          route,
          method: route.method,
          params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, encodeValue(v)])),
          query: Object.entries(query).map(([k, v]) => [encodeValue(k), encodeValue(v)]),
          body: body === undefined ? undefined : JSON.stringify(body),
          headers: {
            authorization: `Bearer ${targets.adminToken}`,
            ...(body !== undefined && {
              'content-type': route.body?.mediaType ?? 'application/json',
            }),
          },
        };
        MUTATIONS[kind]?.(draft, choices);
        return render(draft, kind);
      }),
  );
  return fc.oneof(...perRoute);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
