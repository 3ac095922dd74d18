/**
 * Reading a table of settings from the environment and flags, and printing the values
 * back with secrets hidden: the general rules of docs/config.md in code.
 */
import type { Setting, SettingTable, SettingValue } from './settings.js';

/** Environment variables by name (`process.env`, or a stand-in in tests). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The values of a table, by the table's property names. */
export type SettingValues<S extends SettingTable> = { readonly [K in keyof S]: SettingValue<S[K]> };

/** A text with spaces trimmed; empty or all-space means unset. */
function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A setting's own text from the environment, trimmed, without parsing; null when unset. */
export function settingText(setting: Setting<unknown>, env: Env): string | null {
  return given(env[setting.env]) ?? null;
}

/** One setting: its flag wins over its variable, which wins over its default. */
function readSetting(setting: Setting<unknown>, env: Env, flag: string | undefined): unknown {
  const fromFlag = given(flag);
  if (fromFlag !== undefined) return setting.type.parse(fromFlag, setting.flag ?? setting.env);
  const fallback = typeof setting.default === 'function' ? setting.default() : setting.default;
  const raw = given(env[setting.env]) ?? fallback;
  return raw === undefined ? null : setting.type.parse(raw.trim(), setting.env);
}

/**
 * Every setting of `table`, validated: throws a `ConfigError` naming the first invalid one
 * (in table order). `flags` holds command-line values by property name.
 */
export function readSettings<S extends SettingTable>(
  table: S,
  env: Env,
  flags?: Readonly<Partial<Record<keyof S, string | undefined>>>,
): SettingValues<S> {
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(table)) {
    values[key] = readSetting(setting, env, flags?.[key as keyof S]);
  }
  return values as SettingValues<S>;
}

/**
 * A value as it may be printed: `***` for a secret, the kind's own form otherwise (URLs
 * with their credentials hidden).
 */
export function printableValue(setting: Setting<unknown>, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (setting.secret) return '***';
  return setting.type.show ? setting.type.show(value) : value;
}
