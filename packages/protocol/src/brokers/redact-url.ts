/**
 * Broker URLs as they may be printed: credentials hidden.
 */

/**
 * `url` with its password replaced by `***`, and for NATS (`nats:`, `tls:`) a token
 * (a user name without a password) too. Unparseable input is redacted by pattern.
 *
 * @example
 * redactBrokerUrl('amqp://app:s3cret@mq:5672/prod'); // 'amqp://app:***@mq:5672/prod'
 */
export function redactBrokerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
  if (parsed.password !== '') parsed.password = '***';
  else if (parsed.username !== '' && (parsed.protocol === 'nats:' || parsed.protocol === 'tls:')) {
    parsed.username = '***';
  }
  return parsed.toString();
}
