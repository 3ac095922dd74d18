/** The structured JSON logger (pino) with secrets redacted. */
import { pino } from 'pino';
import type { Logger } from 'pino';

/** Creates the server logger; authorization headers and secrets are never written. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'accord' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.password'],
      censor: '***',
    },
  });
}
