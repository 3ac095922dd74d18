/** Flag parsing for the CLI's sub-commands, its refusals as {@link UsageError}. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

/** What {@link parseFlags} returns for the options `O`. */
export type ParsedFlags<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>
>;

/**
 * Parses `args` against `options` (strictly: an unknown flag or a missing value is
 * refused) and checks the number of positionals; `command` prefixes every refusal.
 */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: O,
  positionals: { readonly names: readonly string[] } = { names: [] },
): ParsedFlags<O> {
  let parsed: ParsedFlags<O>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const missing = positionals.names[parsed.positionals.length];
  if (missing !== undefined) throw new UsageError(`${command}: needs <${missing}>`);
  const extra = parsed.positionals[positionals.names.length];
  if (extra !== undefined) throw new UsageError(`${command}: unexpected argument "${extra}"`);
  return parsed;
}

/** A flag that must be given, or a refusal naming it. */
export function required(value: string | undefined, flag: string, why: string): string {
  if (value === undefined || value.trim() === '')
    throw new UsageError(`${flag} is required: ${why}`);
  return value;
}
