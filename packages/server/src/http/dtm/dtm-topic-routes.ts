/**
 * DTM's topic routes under `/api/dtmsvr`: `subscribe` (`topic`, `url`, `remark`),
 * `unsubscribe` (`topic`, `url`) and `DELETE topic/:name`. DTM serves the first two as
 * GET with a query string; Accord also takes them as POST with the same fields in a JSON
 * body (or the query string). They route every later message of the topic, so they take
 * the admin token when tokens are configured. A subscriber URL passes the outbound
 * target policy when it subscribes (and again in every transaction it is expanded into).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FieldIssue } from '@accord/core';
import { ValidationError } from '@accord/core';
import type { PendingHost, TargetPolicy } from '../../outbound/target-policy.js';
import type { TopicChange, TopicRegistry } from '../../topics/topic-registry.js';
import { TOPIC_LIMITS, topicNameProblem } from '../../topics/topic-registry.js';
import { requireRole, type Authorizer } from '../auth.js';
import { checkUrlField } from '../create-request.js';
import { DTM_SUCCESS, dtmFailure } from './dtm-reply.js';

/** What the topic routes need. */
export interface DtmTopicRoutesDeps {
  readonly topics: TopicRegistry;
  readonly policy: TargetPolicy;
  readonly authorize: Authorizer;
}

const BASE = '/api/dtmsvr';

/** The request's fields: the JSON body's when it has one, else the query string's. */
function fieldsOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    return body as Record<string, unknown>;
  }
  return (request.query ?? {}) as Record<string, unknown>;
}

function text(
  fields: Record<string, unknown>,
  name: string,
  issues: FieldIssue[],
  required: boolean,
): string {
  const value = fields[name];
  if (value === undefined || value === '') {
    if (required) issues.push({ path: `/${name}`, message: 'is required' });
    return '';
  }
  if (typeof value !== 'string') {
    issues.push({ path: `/${name}`, message: 'must be a string' });
    return '';
  }
  return value;
}

function checkTopic(topic: string, issues: FieldIssue[]): void {
  const problem = topic === '' ? null : topicNameProblem(topic);
  if (problem) issues.push({ path: '/topic', message: problem });
}

function answer(change: TopicChange) {
  if (!change.ok) throw dtmFailure(change.refusal);
  return DTM_SUCCESS;
}

/** Registers the topic routes in the DTM scope (DTM's reply shapes). */
export function dtmTopicRoutes(scope: FastifyInstance, deps: DtmTopicRoutesDeps): void {
  const options = { ...requireRole(deps.authorize, 'admin'), schema: { hide: true } };

  const subscribe = async (request: FastifyRequest) => {
    const fields = fieldsOf(request);
    const issues: FieldIssue[] = [];
    const topic = text(fields, 'topic', issues, true);
    const url = text(fields, 'url', issues, true);
    const remark = text(fields, 'remark', issues, false);
    checkTopic(topic, issues);
    if (remark.length > TOPIC_LIMITS.remark) {
      issues.push({
        path: '/remark',
        message: `must be at most ${TOPIC_LIMITS.remark} characters`,
      });
    }
    const pending: PendingHost[] = [];
    if (url !== '') checkUrlField(deps.policy, url, '/url', issues, pending);
    if (issues.length === 0) issues.push(...(await deps.policy.checkPending(pending)));
    if (issues.length > 0) throw new ValidationError(issues);
    return answer(await deps.topics.subscribe(topic, { url, remark }));
  };

  const unsubscribe = async (request: FastifyRequest) => {
    const fields = fieldsOf(request);
    const issues: FieldIssue[] = [];
    const topic = text(fields, 'topic', issues, true);
    const url = text(fields, 'url', issues, true);
    checkTopic(topic, issues);
    if (issues.length > 0) throw new ValidationError(issues);
    return answer(await deps.topics.unsubscribe(topic, url));
  };

  for (const method of ['GET', 'POST'] as const) {
    scope.route({ method, url: `${BASE}/subscribe`, ...options, handler: subscribe });
    scope.route({ method, url: `${BASE}/unsubscribe`, ...options, handler: unsubscribe });
  }

  scope.delete<{ Params: { name: string } }>(`${BASE}/topic/:name`, options, async (request) => {
    const topic = request.params.name;
    const issues: FieldIssue[] = [];
    checkTopic(topic, issues);
    if (issues.length > 0) throw new ValidationError(issues);
    return answer(await deps.topics.deleteTopic(topic));
  });
}
