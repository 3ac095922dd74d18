/**
 * The kinds of value a setting can hold. Each kind reads the text of a variable, says in
 * words what it accepts (for docs/config.md) and how its value is printed, so that the
 * rule, its message and its documentation come from one place.
 */
import { resolve } from 'node:path';
import type { BrokerConfig } from '../brokers/broker-config.js';
import { parseBrokersSetting, redactBrokerUrl } from '../brokers/broker-config.js';
import { ConfigError } from '../common/config-error.js';
import { redactUrl } from '@accord/protocol';
import { MODES, type Mode } from '@accord/core';
import type { NamedToken } from '../common/named-token.js';
import { storeKindOf, STORE_URL_PREFIXES } from '../stores/store-url.js';
import type { ParticipantCaps } from '../participants/participant-gate.js';
import { MAX_RATE, parseCapsList, parseRate } from '../participants/participant-caps.js';

/** How one setting's text is read. */
export interface SettingType<T> {
  /** What it accepts, in words, as the docs say it ("Integer 0–65535"); may be empty. */
  readonly rule: string;
  /** Reads a trimmed, non-empty text; throws {@link ConfigError} naming `name`. */
  parse(raw: string, name: string): T;
  /** The value as the effective configuration prints it (credentials hidden). */
  show?(value: T): unknown;
}

const DAY_MS = 86_400_000;
const MIB = 1_048_576;

/** Words and numbers joined as "a, b or c". */
function either(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** What a large maximum means, e.g. "(30 days)" or "(64 MiB)". */
function sizeNote(max: number, unit: 'ms' | 'bytes' | undefined): string {
  if (unit === 'ms' && max >= DAY_MS && max % DAY_MS === 0) {
    const days = max / DAY_MS;
    return ` (${days} ${days === 1 ? 'day' : 'days'})`;
  }
  if (unit === 'bytes' && max >= MIB && max % MIB === 0) return ` (${max / MIB} MiB), bytes`;
  return '';
}

/** A whole number from `min` to `max`; `unit` adds a readable note to the docs. */
export function integer(min: number, max: number, unit?: 'ms' | 'bytes'): SettingType<number> {
  return {
    rule: `Integer ${min}–${max}${sizeNote(max, unit)}`,
    parse(raw, name) {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      }
      return value;
    },
  };
}

/** A number from 0 to 1. */
export function fraction(): SettingType<number> {
  return {
    rule: 'Number 0–1',
    parse(raw, name) {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0 || value > 1) {
        throw new ConfigError(`${name} must be a number from 0 to 1 (got "${raw}")`);
      }
      return value;
    },
  };
}

/** Any text, at least `minLength` characters long. */
export function text(minLength = 1): SettingType<string> {
  return {
    rule: minLength > 1 ? `At least ${minLength} characters` : '',
    parse(raw, name) {
      if (raw.length < minLength) {
        throw new ConfigError(`${name} must be at least ${minLength} characters long`);
      }
      return raw;
    },
  };
}

/** One of a fixed set of words. */
export function oneOf<const W extends string>(words: readonly W[]): SettingType<W> {
  return {
    rule: `One of ${either(words.map((w) => `\`${w}\``))}`,
    parse(raw, name) {
      if (!(words as readonly string[]).includes(raw)) {
        throw new ConfigError(`${name} must be one of ${words.join(', ')} (got "${raw}")`);
      }
      return raw as W;
    },
  };
}

/**
 * A comma-separated list of `what`; spaces around entries and empty entries are ignored.
 * `check` throws for an entry it refuses: a {@link ConfigError} as it is, any other error
 * as `<name>: <its message>`.
 */
export function list(what: string, check: (entry: string) => unknown): SettingType<string[]> {
  return {
    rule: `Comma-separated ${what}`,
    parse(raw, name) {
      const entries = raw
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
      for (const entry of entries) {
        try {
          check(entry);
        } catch (error) {
          if (error instanceof ConfigError) throw error;
          throw new ConfigError(
            `${name}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      return entries;
    },
  };
}

/** An `http:` or `https:` URL. */
export function httpUrl(): SettingType<string> {
  return {
    rule: 'An http(s) URL',
    parse(raw, name) {
      const protocol = URL.canParse(raw) ? new URL(raw).protocol : '';
      if (protocol !== 'http:' && protocol !== 'https:') {
        throw new ConfigError(`${name} must be an http(s) URL (got "${redactUrl(raw)}")`);
      }
      return raw;
    },
    show: (value) => redactUrl(value),
  };
}

/** An absolute URL of any scheme; a trailing `/` is dropped. */
export function absoluteUrl(): SettingType<string> {
  return {
    rule: 'An absolute URL; a trailing `/` is dropped',
    parse(raw, name) {
      const url = raw.replace(/\/$/, '');
      if (!URL.canParse(url)) {
        throw new ConfigError(`${name} must be an absolute URL (got "${redactUrl(url)}")`);
      }
      return url;
    },
  };
}

/** A directory, made absolute against the working directory. */
export function directory(): SettingType<string> {
  return { rule: '', parse: (raw) => resolve(raw) };
}

/** A store URL of a known backend (see stores/store-url.ts). */
export function storeUrl(): SettingType<string> {
  return {
    rule: `Must start with ${either(STORE_URL_PREFIXES.map((p) => `\`${p}\``))}`,
    parse(raw) {
      storeKindOf(raw);
      return raw;
    },
    show: (value) => redactUrl(value),
  };
}

/** `name=url` entries naming message brokers (see brokers/broker-config.ts). */
export function brokerList(): SettingType<BrokerConfig[]> {
  return {
    rule: 'Comma-separated `name=url` entries',
    parse(raw) {
      try {
        return parseBrokersSetting(raw);
      } catch (error) {
        throw new ConfigError(error instanceof Error ? error.message : String(error));
      }
    },
    show: (brokers) => brokers.map((b) => ({ ...b, url: redactBrokerUrl(b.url) })),
  };
}

/** `host:port=concurrency/ratePerSec` entries capping participants (participants/participant-caps.ts). */
export function capsList(): SettingType<ReadonlyMap<string, ParticipantCaps>> {
  return {
    rule: 'Comma-separated `host:port=concurrency/ratePerSec` entries; either may be `-`',
    parse(raw, name) {
      try {
        return parseCapsList(raw);
      } catch (error) {
        throw new ConfigError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    show: (caps) => Object.fromEntries(caps),
  };
}

/** A rate in calls per second: a number above 0, decimals allowed. */
export function rate(): SettingType<number> {
  return {
    rule: `Number above 0, at most ${MAX_RATE} (calls per second)`,
    parse(raw, name) {
      const value = parseRate(raw);
      if (value === null) {
        throw new ConfigError(
          `${name} must be a number of calls per second above 0 and at most ${MAX_RATE} (got "${raw}")`,
        );
      }
      return value;
    },
  };
}

const TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * `name:role:token` entries (role `client` or `admin`; the token is the rest, at least
 * `minTokenLength` characters). Errors name the entry by its position and name, never
 * by its token.
 */
export function namedTokens(minTokenLength: number): SettingType<NamedToken[]> {
  return {
    rule: `Comma-separated \`name:role:token\` entries; names match \`${TOKEN_NAME.source}\`, roles are \`client\` or \`admin\`, tokens at least ${minTokenLength} characters`,
    parse(raw, name) {
      const entries = raw
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
      const tokens: NamedToken[] = [];
      entries.forEach((entry, i) => {
        const [tokenName = '', role = '', ...rest] = entry.split(':');
        const token = rest.join(':');
        const where = `${name} entry ${i + 1}`;
        if (!TOKEN_NAME.test(tokenName)) {
          throw new ConfigError(`${where}: the name must match ${TOKEN_NAME.source}`);
        }
        if (role !== 'client' && role !== 'admin') {
          throw new ConfigError(`${where} (${tokenName}): the role must be client or admin`);
        }
        if (token.length < minTokenLength) {
          throw new ConfigError(
            `${where} (${tokenName}): the token must be at least ${minTokenLength} characters long`,
          );
        }
        if (
          ['client', 'admin', 'local'].includes(tokenName) ||
          tokens.some((t) => t.name === tokenName)
        ) {
          throw new ConfigError(
            `${where}: the name ${tokenName} is taken (client, admin and local are reserved)`,
          );
        }
        if (tokens.some((t) => t.token === token)) {
          throw new ConfigError(`${where} (${tokenName}): the same token is given twice`);
        }
        tokens.push({ name: tokenName, role, token });
      });
      return tokens;
    },
    show: (tokens) => tokens.map((t) => `${t.name}:${t.role}:***`),
  };
}

/**
 * `mode=value` entries giving some modes their own value (integers `min`–`max`, ms);
 * modes left out use the general setting.
 */
export function perMode(min: number, max: number): SettingType<Partial<Record<Mode, number>>> {
  return {
    rule: `Comma-separated \`mode=ms\` entries (modes ${MODES.map((m) => `\`${m}\``).join(', ')}; ${min}–${max} each)`,
    parse(raw, name) {
      const values: Partial<Record<Mode, number>> = {};
      for (const entry of raw
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const [mode = '', text = ''] = entry.split('=');
        if (!(MODES as readonly string[]).includes(mode)) {
          throw new ConfigError(`${name}: "${mode}" is not a mode (${MODES.join(', ')})`);
        }
        const value = Number(text);
        if (!Number.isInteger(value) || value < min || value > max) {
          throw new ConfigError(
            `${name}: ${mode} must be an integer from ${min} to ${max} (got "${text}")`,
          );
        }
        values[mode as Mode] = value;
      }
      return values;
    },
  };
}
