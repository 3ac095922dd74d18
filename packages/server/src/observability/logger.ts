/** The structured logger (pino) with secrets redacted: JSON lines, or pretty lines for a terminal. */
import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { Logger, LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';

const load = createRequire(import.meta.url);

/** How log lines are written (`ACCORD_LOG_FORMAT`): one JSON object a line, or readable lines. */
export type LogFormat = 'json' | 'pretty';

/**
 * Creates the server logger; authorization headers and secrets are never written.
 * `pretty` loads pino-pretty (only then) and writes synchronously to standard output, so
 * no line is lost when the process exits.
 */
export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'accord' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.password'],
      censor: '***',
    },
  };
  if (format === 'json') return pino(options);
  const pretty = load('pino-pretty') as typeof PinoPretty;
  return pino(
    options,
    pretty({
      sync: true,
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
    }),
  );
}
