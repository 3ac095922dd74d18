/**
 * Publishes outbox messages as HTTP requests (webhooks, another service's endpoint) with
 * undici. A 2xx answer is success; anything else, a timeout or a network error is a
 * failure the relay retries.
 */
import { ValidationError } from '@accord/core';
import { request, type Dispatcher } from 'undici';
import { PublishError } from './publish-error.js';
import type { OutboxMessage, OutboxPublisher } from './types.js';

/** Options of {@link httpPublisher}. */
export interface HttpPublisherOptions {
  /** Where to send a message: one URL, or one per message. */
  url: string | ((message: OutboxMessage) => string);
  /** `POST` (default) or `PUT`. */
  method?: 'POST' | 'PUT';
  /** Extra headers (e.g. authorization), fixed or per message. */
  headers?: Record<string, string> | ((message: OutboxMessage) => Record<string, string>);
  /** Longest wait for the whole answer, ms (default 10000). */
  timeoutMs?: number;
  /** undici dispatcher (an `Agent` with your pool settings); default: undici's global one. */
  dispatcher?: Dispatcher;
}

function checkUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ValidationError([{ path: 'url', message: 'must be an http(s) URL' }]);
  }
  return url.href;
}

/**
 * A publisher that sends each message's payload as the JSON body of a request, with the
 * headers `accord-message-id` (the outbox id: deduplicate on it), `accord-topic`, and the
 * message's own headers.
 *
 * @example
 * const publisher = httpPublisher({
 *   url: (m) => `https://hooks.example.com/${m.topic}`,
 *   headers: { authorization: `Bearer ${token}` },
 *   timeoutMs: 5000,
 * });
 */
export function httpPublisher(options: HttpPublisherOptions): OutboxPublisher {
  const fixedUrl = typeof options.url === 'string' ? checkUrl(options.url) : undefined;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new ValidationError([{ path: 'timeoutMs', message: 'must be an integer >= 1' }]);
  }
  const method = options.method ?? 'POST';
  return {
    async publish(message) {
      const url = fixedUrl ?? checkUrl((options.url as (m: OutboxMessage) => string)(message));
      const extra =
        typeof options.headers === 'function' ? options.headers(message) : options.headers;
      const headers: Record<string, string> = {
        ...extra,
        ...message.headers,
        'content-type': 'application/json',
        'accord-message-id': message.id,
        'accord-topic': message.topic,
      };
      let status: number;
      let text: string;
      try {
        const res = await request(url, {
          method,
          headers,
          body: message.payloadJson,
          signal: AbortSignal.timeout(timeoutMs),
          ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
        });
        status = res.statusCode;
        text = await res.body.text();
      } catch (error) {
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        const why = error instanceof Error ? error.message : String(error);
        throw new PublishError(
          timedOut ? 'PUBLISH_TIMEOUT' : 'PUBLISH_DISCONNECTED',
          `${method} ${url} failed: ${timedOut ? `no answer within ${timeoutMs} ms` : why}`,
          { cause: error },
        );
      }
      if (status < 200 || status >= 300) {
        throw new PublishError(
          'PUBLISH_REJECTED',
          `${method} ${url} answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`,
          { details: { status } },
        );
      }
    },
  };
}
