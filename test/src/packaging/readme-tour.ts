/**
 * The README's SDK tour, as the packaging test compiles and runs it: the code block under
 * "The same saga with the SDK", byte for byte.
 */
import { readFileSync } from 'node:fs';

const HEADING = '### The same saga with the SDK';

/** The TypeScript of the README's SDK tour. */
export function readmeTour(readmePath: string): string {
  const readme = readFileSync(readmePath, 'utf8');
  const section = readme.slice(readme.indexOf(HEADING));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!readme.includes(HEADING) || block?.[1] === undefined) {
    throw new Error(`README.md has no TypeScript block under "${HEADING}"`);
  }
  return block[1];
}

/** A user's strict tsconfig: NodeNext resolution, the installed packages' own types. */
export function tourTsconfig(): string {
  const compilerOptions = {
    strict: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    lib: ['ES2023'],
    types: ['node'],
    outDir: 'dist',
    skipLibCheck: false,
  };
  return JSON.stringify({ compilerOptions, include: ['tour.ts'] }, null, 2);
}
