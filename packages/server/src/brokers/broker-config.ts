/**
 * The `ACCORD_BROKERS` setting: named message brokers that msg steps and notifications may
 * target with `broker://<name>/...` instead of an HTTP URL.
 */
import { redactBrokerUrl } from '@accord/protocol/brokers';

export { redactBrokerUrl };

/** Kinds of broker the coordinator can publish to. */
export type BrokerKind = 'rabbitmq' | 'nats';

/** One configured broker. */
export interface BrokerConfig {
  /** Name used in targets (`broker://<name>/...`). */
  readonly name: string;
  readonly kind: BrokerKind;
  /** Connection URL, credentials included (print it with {@link redactBrokerUrl}). */
  readonly url: string;
}

/** Invalid `ACCORD_BROKERS` value: the message names the entry and why. */
export class BrokerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerConfigError';
  }
}

/** What a broker name must look like. */
export const BROKER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const KIND_BY_SCHEME: Readonly<Record<string, BrokerKind>> = {
  'amqp:': 'rabbitmq',
  'amqps:': 'rabbitmq',
  'nats:': 'nats',
  'tls:': 'nats',
};

/** The broker kind a URL scheme selects, or null if the scheme is not supported. */
export function brokerKindOf(url: string): BrokerKind | null {
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0].toLowerCase();
  return scheme === undefined ? null : (KIND_BY_SCHEME[scheme] ?? null);
}

/**
 * Parses `name=url[,name=url...]`. The kind follows from the scheme: `amqp:`/`amqps:` is
 * RabbitMQ, `nats:`/`tls:` is NATS JetStream. Blank entries are ignored; an empty setting
 * gives no brokers. Throws {@link BrokerConfigError} naming the first bad entry.
 *
 * @example
 * parseBrokersSetting('events=amqp://guest:guest@127.0.0.1:5672,stream=nats://127.0.0.1:4222');
 * // [{ name: 'events', kind: 'rabbitmq', url: 'amqp://...' }, { name: 'stream', kind: 'nats', ... }]
 */
export function parseBrokersSetting(text: string): BrokerConfig[] {
  const brokers: BrokerConfig[] = [];
  const seen = new Set<string>();
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    if (entry === '') return;
    const where = `ACCORD_BROKERS entry ${index + 1} ("${redactEntry(entry)}")`;
    const eq = entry.indexOf('=');
    if (eq < 0) throw new BrokerConfigError(`${where} must have the form name=url`);
    const name = entry.slice(0, eq).trim();
    const url = entry.slice(eq + 1).trim();
    if (!BROKER_NAME_PATTERN.test(name)) {
      throw new BrokerConfigError(
        `${where}: broker name "${name}" is invalid (lowercase letters, digits, "_" and "-", ` +
          'starting with a letter or digit, at most 63 characters)',
      );
    }
    if (seen.has(name)) throw new BrokerConfigError(`${where}: broker "${name}" is defined twice`);
    const problem = checkBrokerUrl(url);
    if (problem !== null) throw new BrokerConfigError(`${where}: ${problem}`);
    seen.add(name);
    brokers.push({ name, kind: brokerKindOf(url)!, url });
  });
  return brokers;
}

/** Why a broker URL is unusable, or null if it is fine. */
export function checkBrokerUrl(url: string): string | null {
  if (url === '') return 'the URL is empty';
  const kind = brokerKindOf(url);
  if (kind === null) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
    return scheme === undefined
      ? 'the URL has no scheme (expected amqp://, amqps://, nats:// or tls://)'
      : `unsupported scheme "${scheme}" (expected amqp:, amqps:, nats: or tls:)`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the URL is malformed';
  }
  if (!url.slice(parsed.protocol.length).startsWith('//')) {
    return `the URL must look like ${parsed.protocol}//host[:port]`;
  }
  if (parsed.hostname === '') return 'the URL has no host';
  if (kind === 'nats' && parsed.pathname !== '' && parsed.pathname !== '/') {
    return 'a NATS URL takes no path';
  }
  return null;
}

function redactEntry(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0
    ? redactBrokerUrl(entry)
    : `${entry.slice(0, eq + 1)}${redactBrokerUrl(entry.slice(eq + 1))}`;
}
