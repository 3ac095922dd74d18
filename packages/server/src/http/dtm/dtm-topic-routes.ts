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
import {
  DtmSubscribeSchema,
  DtmSuccessSchema,
  DtmTopicParamsSchema,
  DtmUnsubscribeSchema,
} from '@accord/core/schemas';
import type { TSchema } from '@sinclair/typebox';
import { requireRole, type Authorizer } from '../auth.js';
import { checkUrlField } from '../create-request.js';
import { ADMIN_ROUTE, WITH_BODY } from '../replies.js';
import { DTM_SUCCESS, dtmFailure, dtmReplies } from './dtm-reply.js';

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
  const admin = requireRole(deps.authorize, 'admin');
  const codes = [...ADMIN_ROUTE, 'BRANCH_FAILED', 'STORE_UNAVAILABLE'] as const;
  /** Route options: the fields in the query string (GET) or the JSON body (POST). */
  const options = (summary: string, method: 'GET' | 'POST', fields: TSchema) => ({
    ...admin,
    schema: {
      summary,
      ...(method === 'GET' ? { querystring: fields } : { body: fields }),
      response: dtmReplies({ 200: DtmSuccessSchema }, [
        ...codes,
        ...(method === 'POST' ? WITH_BODY : []),
        'TARGET_FORBIDDEN',
      ]),
    },
  });

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
    scope.route({
      method,
      url: `${BASE}/subscribe`,
      ...options('DTM: subscribe a URL to a topic', method, DtmSubscribeSchema),
      handler: subscribe,
    });
    scope.route({
      method,
      url: `${BASE}/unsubscribe`,
      ...options('DTM: unsubscribe a URL from a topic', method, DtmUnsubscribeSchema),
      handler: unsubscribe,
    });
  }

  const deleteTopic = {
    ...admin,
    schema: {
      summary: 'DTM: delete a topic with its subscribers',
      params: DtmTopicParamsSchema,
      response: dtmReplies({ 200: DtmSuccessSchema }, [...codes, ...WITH_BODY, 'URI_TOO_LONG']),
    },
  };
  scope.delete<{ Params: { name: string } }>(
    `${BASE}/topic/:name`,
    deleteTopic,
    async (request) => {
      const topic = request.params.name;
      const issues: FieldIssue[] = [];
      if (topic === '') issues.push({ path: '/topic', message: 'is required' });
      checkTopic(topic, issues);
      if (issues.length > 0) throw new ValidationError(issues);
      return answer(await deps.topics.deleteTopic(topic));
    },
  );
}
