/**
 * Broker targets: `broker://<name>/<destination>` in place of an HTTP URL. The destination
 * depends on the broker's kind:
 *
 * - RabbitMQ: `broker://<name>/<exchange>/<routingKey>`; the default exchange is
 *   `broker://<name>//<queue>`.
 * - NATS JetStream: `broker://<name>/<subject>`, a concrete dotted subject.
 *
 * Path segments are percent-decoded, so a `/` inside an exchange or routing key is `%2F`.
 */
import { AccordError } from '@accord/core';
import type { RabbitDestination } from '@accord/protocol/brokers';
import { BROKER_NAME_PATTERN, type BrokerConfig, type BrokerKind } from './broker-config.js';

/** A parsed `broker://` target, not yet checked against the configured brokers. */
export interface BrokerTarget {
  /** The target as written. */
  readonly url: string;
  /** Name of the configured broker. */
  readonly broker: string;
  /** Percent-decoded path segments after the name (split on literal `/`). */
  readonly segments: readonly string[];
}

export type { RabbitDestination };

/** A malformed or unusable broker target; the message says precisely why. */
export class BrokerTargetError extends AccordError {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
    this.name = 'BrokerTargetError';
  }
}

const SCHEME = /^broker:/i;
const PREFIX = 'broker://';
/** AMQP short strings (exchange names, routing keys) hold at most 255 bytes. */
const AMQP_SHORTSTR_MAX = 255;

/** True if the string uses the `broker:` scheme (whether or not it is well formed). */
export function isBrokerTarget(url: string): boolean {
  return SCHEME.test(url);
}

/**
 * Parses a `broker://` target. Returns null when the string is not a `broker:` URL at all,
 * and throws {@link BrokerTargetError} when it is one but malformed.
 *
 * @example
 * parseBrokerTarget('broker://events/orders/order.created');
 * // { url, broker: 'events', segments: ['orders', 'order.created'] }
 * parseBrokerTarget('https://svc/x'); // null
 */
export function parseBrokerTarget(url: string): BrokerTarget | null {
  if (!isBrokerTarget(url)) return null;
  if (url.slice(0, PREFIX.length).toLowerCase() !== PREFIX) {
    throw new BrokerTargetError(
      `broker target "${url}" must look like broker://<name>/<destination>`,
    );
  }
  const rest = url.slice(PREFIX.length);
  const query = rest.search(/[?#]/);
  if (query >= 0) {
    throw new BrokerTargetError(
      `broker target "${url}" must not have a query or fragment (percent-encode "?" as %3F and "#" as %23)`,
    );
  }
  const slash = rest.indexOf('/');
  const broker = slash < 0 ? rest : rest.slice(0, slash);
  if (!BROKER_NAME_PATTERN.test(broker)) {
    throw new BrokerTargetError(
      broker === ''
        ? `broker target "${url}" names no broker (expected broker://<name>/<destination>)`
        : `broker target "${url}": "${broker}" is not a valid broker name ` +
            '(lowercase letters, digits, "_" and "-")',
    );
  }
  if (slash < 0 || slash === rest.length - 1) {
    throw new BrokerTargetError(
      `broker target "${url}" has no destination (expected broker://${broker}/<destination>)`,
    );
  }
  const segments = rest
    .slice(slash + 1)
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new BrokerTargetError(
          `broker target "${url}" has malformed percent-encoding in "${segment}"`,
        );
      }
    });
  return { url, broker, segments };
}

/**
 * The exchange and routing key of a RabbitMQ target; throws {@link BrokerTargetError} when
 * the target does not have exactly the two segments or a name is too long.
 */
export function rabbitDestination(target: BrokerTarget): RabbitDestination {
  const shape =
    `a RabbitMQ target must be broker://${target.broker}/<exchange>/<routingKey> ` +
    `(default exchange: broker://${target.broker}//<queue>; percent-encode "/" inside a name as %2F)`;
  if (target.segments.length !== 2) {
    throw new BrokerTargetError(`broker target "${target.url}": ${shape}`);
  }
  const [exchange, routingKey] = target.segments as [string, string];
  if (exchange === '' && routingKey === '') {
    throw new BrokerTargetError(
      `broker target "${target.url}": the default exchange needs a queue name as routing key (${shape})`,
    );
  }
  for (const [what, value] of [
    ['exchange name', exchange],
    ['routing key', routingKey],
  ] as const) {
    if (Buffer.byteLength(value, 'utf8') > AMQP_SHORTSTR_MAX) {
      throw new BrokerTargetError(
        `broker target "${target.url}": the ${what} is longer than ${AMQP_SHORTSTR_MAX} bytes`,
      );
    }
  }
  return { exchange, routingKey };
}

/**
 * The subject of a NATS target; throws {@link BrokerTargetError} unless the target has one
 * segment that is a concrete subject (dot-separated non-empty tokens, no `*`/`>`
 * wildcards, no whitespace).
 */
export function natsSubject(target: BrokerTarget): string {
  if (target.segments.length !== 1) {
    throw new BrokerTargetError(
      `broker target "${target.url}": a NATS target must be broker://${target.broker}/<subject> ` +
        '(subject tokens are separated by dots, not slashes, e.g. orders.created)',
    );
  }
  const subject = target.segments[0]!;
  const problem = subjectProblem(subject);
  if (problem !== null) throw new BrokerTargetError(`broker target "${target.url}": ${problem}`);
  return subject;
}

/** Why a string is not a concrete NATS subject to publish to, or null if it is one. */
export function subjectProblem(subject: string): string | null {
  if (subject === '') return 'the NATS subject is empty';
  if (/\s/.test(subject)) return `NATS subject "${subject}" contains whitespace`;
  const wildcard = /[*>]/.exec(subject)?.[0];
  if (wildcard !== undefined) {
    return `NATS subject "${subject}" contains the wildcard "${wildcard}" (a target names one concrete subject)`;
  }
  if (subject.split('.').some((token) => token === '')) {
    return `NATS subject "${subject}" has an empty token (leading, trailing or doubled ".")`;
  }
  return null;
}

/** Checks the destination of a target against the kind of its broker; throws if unusable. */
export function checkDestination(target: BrokerTarget, kind: BrokerKind): void {
  if (kind === 'rabbitmq') rabbitDestination(target);
  else natsSubject(target);
}

/**
 * Why `url` cannot be used as a broker target with the configured brokers (not a
 * `broker://` URL, malformed, unknown broker name, wrong shape for the broker's kind, bad
 * subject), or null if it can.
 *
 * @example
 * brokerTargetProblem('broker://nope/x', brokers);
 * // 'unknown broker "nope" in "broker://nope/x" (configured: events, stream)'
 */
export function brokerTargetProblem(url: string, brokers: readonly BrokerConfig[]): string | null {
  try {
    const target = parseBrokerTarget(url);
    if (target === null) return `"${url}" is not a broker:// target`;
    const config = brokers.find((broker) => broker.name === target.broker);
    if (config === undefined) return unknownBroker(target, brokers);
    checkDestination(target, config.kind);
    return null;
  } catch (error) {
    if (error instanceof BrokerTargetError) return error.message;
    throw error;
  }
}

/** The message for a target naming a broker that is not configured. */
export function unknownBroker(target: BrokerTarget, brokers: readonly BrokerConfig[]): string {
  const known =
    brokers.length === 0
      ? 'no brokers are configured; set ACCORD_BROKERS'
      : `configured: ${brokers.map((broker) => broker.name).join(', ')}`;
  return `unknown broker "${target.broker}" in "${target.url}" (${known})`;
}
