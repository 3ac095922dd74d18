/**
 * `@accord/store-conformance`: the cases every `Store` backend must pass, and the
 * records and helpers they are written with, for a backend's own tests as well.
 *
 * @example
 * storeConformance('sqlite', async () => {
 *   const dir = tempDir();
 *   const store = new SqliteStore({ path: join(dir.path, 'accord.db') });
 *   return { store, cleanup: async () => { await store.close(); dir.remove(); } };
 * });
 */
export { storeConformance } from './store-conformance.js';
export {
  attempt,
  compareText,
  insertOne,
  mustGet,
  op,
  opOrder,
  OPTIONS,
  sagaSnapshot,
  seed,
  T,
  txRecord,
  withStore,
  writeAll,
  writeOf,
  type ConformanceHandle,
  type OpenConformanceStore,
} from './fixtures.js';
