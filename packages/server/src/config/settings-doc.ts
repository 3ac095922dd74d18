/**
 * The settings tables of docs/config.md, rendered from the settings table. Each table sits
 * between `<!-- settings:start SECTION -->` and `<!-- settings:end -->`;
 * `npm run docs:settings` rewrites them and a test fails when they are out of date.
 */
import type { Setting, SettingSection, SettingTable } from './settings.js';
import { SETTINGS } from './settings.js';

const START = /^<!-- settings:start ([a-z-]+) -->$/;
const END = '<!-- settings:end -->';

/** The default as the docs write it. */
function defaultCell(setting: Setting<unknown>): string {
  if (setting.defaultText !== undefined) return setting.defaultText;
  if (typeof setting.default !== 'string') return 'none';
  return setting.default === '' ? 'empty' : `\`${setting.default}\``;
}

/** What a setting accepts and does: its kind's rule, its description, how it is printed. */
function rulesCell(setting: Setting<unknown>): string {
  const parts = [setting.type.rule === '' ? '' : `${setting.type.rule}.`, setting.description];
  if (setting.secret) parts.push('Secret: printed as `***`.');
  else if (setting.type.show) parts.push('Passwords in URLs are printed as `***`.');
  return parts.filter(Boolean).join(' ');
}

/** A Markdown table laid out as the formatter lays it out. */
function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const escaped = rows.map((row) => row.map((cell) => cell.replaceAll('|', '\\|')));
  const widths = header.map((title, i) =>
    Math.max(3, [...title].length, ...escaped.map((row) => [...row[i]!].length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell + ' '.repeat(widths[i]! - [...cell].length)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...escaped.map(line)].join('\n');
}

/** The table of one section: a `flag` column when a setting of it has a flag. */
export function renderSettingsTable(
  section: SettingSection,
  table: SettingTable = SETTINGS,
): string {
  const settings = Object.values(table).filter((s) => s.section === section);
  if (settings.length === 0) throw new Error(`no setting is in section "${section}"`);
  const flags = settings.some((s) => s.flag !== undefined);
  const header = ['variable', ...(flags ? ['flag'] : []), 'default', 'rules'];
  const rows = settings.map((s) => [
    `\`${s.env}\``,
    ...(flags ? [s.flag === undefined ? '' : `\`${s.flag}\``] : []),
    defaultCell(s),
    rulesCell(s),
  ]);
  return markdownTable(header, rows);
}

/**
 * `markdown` with every settings table rendered anew. Throws when a marker names an unknown
 * section, has no end, or when a section with settings has no table.
 */
export function refreshSettingsDoc(markdown: string, table: SettingTable = SETTINGS): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const section = START.exec(line.trim())?.[1];
    if (section === undefined) continue;
    const end = lines.indexOf(END, i + 1);
    if (end < 0) throw new Error(`line ${i + 1}: "${line}" has no ${END}`);
    out.push('', renderSettingsTable(section as SettingSection, table), '', END);
    seen.add(section);
    i = end;
  }
  const missing = [...new Set(Object.values(table).map((s) => s.section))].filter(
    (section) => !seen.has(section),
  );
  if (missing.length > 0) {
    throw new Error(`no settings table for section(s) ${missing.join(', ')}`);
  }
  return out.join('\n');
}
