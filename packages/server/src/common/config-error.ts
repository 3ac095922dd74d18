/**
 * The error of an invalid setting. `accord` prints its message as
 * `accord: invalid configuration: <message>` and exits with code 2, without a stack trace.
 */

/** Invalid configuration: the message names the setting and why. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
