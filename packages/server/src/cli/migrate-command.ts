/** `accord migrate [--print]`: applies the store's schema migrations, or prints them as SQL. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { openStore, storeMigrations } from '../stores/open-store.js';
import { renderMigrations } from '../stores/common/migration.js';

/** Runs `accord migrate`. */
export async function runMigrateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      print: { type: 'boolean' },
      store: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const config = loadConfig({ store: values.store, dataDir: values['data-dir'] });
  if (values.print) {
    process.stdout.write(renderMigrations(storeMigrations(config.store)));
    return;
  }
  const store = await openStore(config.store, { dataDir: config.dataDir });
  try {
    await store.migrate();
    console.log(`migrations applied to the ${store.kind} store`);
  } finally {
    await store.close();
  }
}
