/**
 * JSON schemas of the native API's request bodies. Structure only; rules that need code
 * (URLs, the outbound policy, the step graph) are checked in create-request.ts.
 */
import { MODES, NOTIFY_SCHEDULE_PRESETS } from '@accord/core';

const ID = '^[A-Za-z0-9._:-]+$';
const URL_FIELD = { type: 'string', minLength: 1, maxLength: 2048 } as const;

/** Schema of `options` in a create request. */
export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    timeoutMs: {
      anyOf: [{ type: 'integer', minimum: 1, maximum: 2_592_000_000 }, { type: 'null' }],
    },
    requestTimeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
    concurrent: { type: 'boolean' },
    headers: {
      type: 'object',
      maxProperties: 32,
      additionalProperties: { type: 'string', maxLength: 1024 },
    },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        firstDelayMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
        factor: { type: 'number', minimum: 1, maximum: 10 },
        maxDelayMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
        jitter: { type: 'number', minimum: 0, maximum: 1 },
        ongoingDelayMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
        maxAttempts: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      },
    },
  },
} as const;

const waitResultSchema = {
  anyOf: [{ type: 'boolean' }, { type: 'integer', minimum: 0, maximum: 600_000 }],
} as const;

/** Schema of `POST /v1/transactions`, with the server's step limit. */
export function createSchema(maxSteps: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['mode'],
    properties: {
      gid: { type: 'string', minLength: 1, maxLength: 128, pattern: ID },
      mode: { type: 'string', enum: [...MODES] },
      steps: {
        type: 'array',
        maxItems: maxSteps,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['action'],
          properties: {
            id: { type: 'string', minLength: 1, maxLength: 64, pattern: ID },
            action: URL_FIELD,
            compensate: URL_FIELD,
            payload: {},
            dependsOn: {
              type: 'array',
              maxItems: maxSteps,
              items: { type: 'string', maxLength: 64 },
            },
            maxAttempts: { type: 'integer', minimum: 1, maximum: 1_000_000 },
          },
        },
      },
      checkUrl: URL_FIELD,
      options: optionsSchema,
      waitResult: waitResultSchema,
    },
  } as const;
}

/**
 * Schema of `POST /v1/transactions/{gid}/branches`: a tcc branch gives `confirm` and
 * `cancel`, an xa branch `commit` and `rollback` (the route checks which pair is given).
 */
export const registerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['branchId'],
  properties: {
    branchId: { type: 'string', minLength: 1, maxLength: 64, pattern: ID },
    confirm: URL_FIELD,
    cancel: URL_FIELD,
    commit: URL_FIELD,
    rollback: URL_FIELD,
    payload: {},
  },
} as const;

/** Schema of `POST /v1/notifications`. */
export const notificationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 128, pattern: ID },
    url: URL_FIELD,
    payload: {},
    schedule: {
      anyOf: [
        { type: 'string', enum: [...NOTIFY_SCHEDULE_PRESETS] },
        {
          type: 'array',
          minItems: 0,
          maxItems: 100,
          items: { type: 'integer', minimum: 1, maximum: 2_592_000_000 },
        },
      ],
    },
    ackBody: { type: 'string', minLength: 1, maxLength: 256 },
    requestTimeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
    headers: optionsSchema.properties.headers,
  },
} as const;

/** Path parameter `id` of a notification. */
export const notificationParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128, pattern: ID } },
} as const;

/** Schema of the optional body of `submit`. */
export const submitSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { waitResult: waitResultSchema },
} as const;

/** Schema of the optional body of `abort`. */
export const abortSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 1000 } },
} as const;

/** Schema of `resolve`. */
export const resolveSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'reason'],
  properties: {
    status: { type: 'string', enum: ['succeeded', 'failed'] },
    reason: { type: 'string', minLength: 1, maxLength: 1000, pattern: '\\S' },
  },
} as const;

/** Path parameter `gid`. */
export const gidParams = {
  type: 'object',
  required: ['gid'],
  properties: { gid: { type: 'string', minLength: 1, maxLength: 128, pattern: ID } },
} as const;
