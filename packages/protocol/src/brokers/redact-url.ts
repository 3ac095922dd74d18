/**
 * Broker URLs as they may be printed: credentials hidden.
 */
import { redactUrl } from '../redact-url.js';

/**
 * `url` with its password replaced by `***`, and for NATS (`nats:`, `tls:`) a token
 * (a user name without a password) too.
 *
 * @example
 * redactBrokerUrl('amqp://app:s3cret@mq:5672/prod'); // 'amqp://app:***@mq:5672/prod'
 */
export function redactBrokerUrl(url: string): string {
  return redactUrl(url, { userIsSecret: /^(nats|tls):/i.test(url) });
}
