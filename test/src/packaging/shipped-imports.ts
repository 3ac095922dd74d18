/**
 * What a packed package's JavaScript imports, so the packaging test can tell that shipped
 * code needs nothing its package.json does not declare (no test kit, no dev dependency).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The package a bare specifier names: `pg`, `@fastify/swagger`, `mysql2` for `mysql2/promise`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * The bare imports of the packed `.js` files of the package in `folder` that neither its
 * dependencies nor its peer dependencies declare, as `file: package`.
 */
export function undeclaredImports(folder: string, packedPaths: readonly string[]): string[] {
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const problems: string[] = [];
  for (const path of packedPaths.filter((p) => p.endsWith('.js'))) {
    const source = readFileSync(join(folder, path), 'utf8');
    for (const match of source.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? '';
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      const name = packageOf(specifier);
      if (builtinModules.includes(name) || declared.has(name)) continue;
      problems.push(`${path}: ${specifier}`);
    }
  }
  return problems;
}
