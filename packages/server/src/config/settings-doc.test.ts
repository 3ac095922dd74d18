/**
 * Keeps docs/config.md in step with the settings table: its settings tables are exactly
 * what `npm run docs:settings` renders, and README's summary names the same variables.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { refreshSettingsDoc, renderSettingsTable } from './settings-doc.js';
import { SETTINGS } from './settings.js';

/** The repository root: the nearest ancestor of this file holding docs/config.md. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'docs', 'config.md'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('docs/config.md not found above ' + import.meta.url);
    dir = parent;
  }
  return dir;
}

const root = repoRoot();
const configDoc = readFileSync(join(root, 'docs', 'config.md'), 'utf8');

/** The variables named in the first cell of the rows of README's configuration table. */
function readmeVariables(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration\n'));
  const table = section.slice(0, section.indexOf('\n## ', 1));
  return [...table.matchAll(/^\| `(ACCORD_[A-Z_]+)`/gm)].map((m) => m[1]!);
}

void describe('docs/config.md', () => {
  void it('has the settings tables the settings table renders (npm run docs:settings)', () => {
    assert.equal(
      refreshSettingsDoc(configDoc),
      configDoc,
      'docs/config.md is out of date: run `npm run docs:settings`',
    );
  });

  void it('would be caught out by an edited default or a missing section', () => {
    const edited = configDoc.replace('| `7070`', '| `8080`');
    assert.notEqual(edited, configDoc);
    assert.notEqual(refreshSettingsDoc(edited), edited);
    assert.equal(refreshSettingsDoc(edited), configDoc);
    const withoutLogging = configDoc.replace('<!-- settings:start logging -->', '');
    assert.throws(() => refreshSettingsDoc(withoutLogging), /no settings table for .*logging/);
  });

  void it('lists every setting once, with its range, default and secrecy', () => {
    const documented = [...configDoc.matchAll(/^\| `(ACCORD_[A-Z_]+)` /gm)].map((m) => m[1]);
    for (const setting of Object.values(SETTINGS)) {
      assert.equal(documented.filter((name) => name === setting.env).length, 1, setting.env);
    }
    const security = renderSettingsTable('security');
    assert.match(
      security,
      /`ACCORD_TOKEN` .*At least 16 characters\..*Secret: printed as `\*\*\*`/,
    );
    assert.match(
      renderSettingsTable('engine'),
      /`ACCORD_LEASE_MS` .*`10000` .*Integer 500–3600000\./,
    );
  });
});

void describe('README.md', () => {
  void it('summarises exactly the variables of the settings table', () => {
    const names = Object.values(SETTINGS).map((s) => s.env);
    assert.deepEqual([...readmeVariables()].sort(), [...names].sort());
  });
});
