/**
 * Runs one compiled doc block in its own process: `node snippet-host.js <block.js>`.
 * Imports the block (its prelude comes with it), runs the prelude's checks, cleans up and
 * exits: 0 when all went well, 1 with the error on stderr otherwise. The docs test kills
 * the process if it runs too long.
 */
import { pathToFileURL } from 'node:url';
import { runChecks, runCleanups } from './prelude-hooks.js';

const [path] = process.argv.slice(2);
let code = 0;
try {
  if (!path) throw new Error('usage: snippet-host.js <compiled block>');
  await import(pathToFileURL(path).href);
  await runChecks();
} catch (error) {
  code = 1;
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  await runCleanups();
}
// Servers and timers the block started (a relay, a recovery loop) would keep us alive.
process.exit(code);
