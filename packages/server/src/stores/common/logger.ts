/**
 * The slice of a logger the stores use; a pino logger fits it. Stores log only rare
 * events (opening, migrations, connection errors), never per-transaction work.
 */
export interface StoreLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything. */
export const SILENT_LOGGER: StoreLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
