#!/usr/bin/env node
// Checks the public API of every package entry point against its committed report
// (packages/<pkg>/api/<entry>.api.md), so the surface changes only on purpose. Reads the
// built declarations: run `npm run build` first. `--update` rewrites the reports.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = new URL('..', import.meta.url).pathname;
const update = process.argv.includes('--update');
const REFRESH = 'npm run build && npm run api:update';

/** Every package entry point: its package folder, report name and declaration file. */
function entryPoints() {
  const out = [];
  for (const pkg of ['core', 'protocol', 'client', 'server']) {
    const folder = join(root, 'packages', pkg);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target !== 'object') continue; // ./package.json
      const name = subpath === '.' ? 'index' : subpath.slice(2).replaceAll('/', '-');
      out.push({ pkg, folder, name, types: join(folder, target.types) });
    }
  }
  return out;
}

const quiet = { logLevel: 'none', addToApiReportFile: false };
const stale = [];
let failed = false;
for (const entry of entryPoints()) {
  if (update) mkdirSync(join(entry.folder, 'api'), { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: entry.folder,
      mainEntryPointFilePath: entry.types,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            target: 'ES2022',
            lib: ['ES2023'],
            types: ['node'],
            strict: true,
            skipLibCheck: true,
          },
          files: [entry.types],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: `${entry.name}.api.md`,
        reportFolder: join(entry.folder, 'api'),
        reportTempFolder: join(entry.folder, 'build', 'api-report'),
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning', addToApiReportFile: true },
          'ae-missing-release-tag': quiet,
          'ae-undocumented': quiet,
        },
        tsdocMessageReporting: { default: quiet },
      },
    },
    configObjectFullPath: join(entry.folder, 'api-extractor.json'),
    packageJsonFullPath: join(entry.folder, 'package.json'),
  });
  const result = Extractor.invoke(config, {
    localBuild: update,
    showVerboseMessages: false,
    messageCallback: (message) => {
      if (message.logLevel === 'info' || message.logLevel === 'verbose') message.handled = true;
    },
  });
  const label = `@accord/${entry.pkg}${entry.name === 'index' ? '' : `/${entry.name}`}`;
  if (result.errorCount > 0) failed = true;
  if (result.apiReportChanged && !update) stale.push(label);
  console.log(
    `${label}: ${result.apiReportChanged ? (update ? 'report updated' : 'REPORT STALE') : 'report current'}`,
  );
}
if (stale.length > 0) {
  console.error(
    `the public API of ${stale.join(', ')} differs from its committed report in packages/*/api/.\n` +
      `If the change is intended, refresh the reports with: ${REFRESH}`,
  );
  process.exit(1);
}
process.exit(failed ? 1 : 0);
