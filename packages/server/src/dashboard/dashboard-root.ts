/** Where the built web UI is: the `dist` folder of the `@accord/dashboard` package. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The dashboard's `dist` folder, found through module resolution (in this repository the
 * `packages/dashboard` workspace); a folder that does not exist when the package is not
 * installed, so the UI routes answer that it is not built.
 */
export function dashboardRoot(): string {
  try {
    const manifest = createRequire(import.meta.url).resolve('@accord/dashboard/package.json');
    return join(dirname(manifest), 'dist');
  } catch {
    return join(process.cwd(), 'node_modules', '@accord', 'dashboard', 'dist');
  }
}
