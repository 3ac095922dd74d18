/**
 * The settings the docs test hands to a snippet's process, read in one place.
 */

/** Environment variables the docs test sets for a snippet's process. */
export const DOCS_ENV = {
  /** The live coordinator. */
  coordinatorUrl: 'ACCORD_URL',
  /** A PostgreSQL URL whose search_path is a temporary schema of this run. */
  postgresUrl: 'ACCORD_DOCS_POSTGRES_URL',
  /** Like postgresUrl, on a server that allows prepared transactions. */
  xaPostgresUrl: 'ACCORD_DOCS_XA_POSTGRES_URL',
  /** RabbitMQ. */
  rabbitmqUrl: 'ACCORD_DOCS_RABBITMQ_URL',
  /** The two ports that stand in for the documented 8081 and 8082, comma-separated. */
  participantPorts: 'ACCORD_DOCS_PARTICIPANT_PORTS',
  /** The port that stands in for https://merchant.example. */
  merchantPort: 'ACCORD_DOCS_MERCHANT_PORT',
} as const;

/** A setting the docs test must have passed; throws naming it when missing. */
export function docsSetting(key: keyof typeof DOCS_ENV): string {
  const name = DOCS_ENV[key];
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this block through the docs test`);
  return value;
}
