/**
 * The Store conformance suite: one set of cases every backend must pass, unchanged, on a
 * real server. Each case gets fresh, isolated storage from `open`, so cases may run in
 * any order and suites of different backends in parallel.
 */
import { describe } from 'node:test';
import { batchCases } from './batch-cases.js';
import { delayCases } from './delay-cases.js';
import type { OpenConformanceStore } from './fixtures.js';
import { hastenCases } from './hasten-cases.js';
import { keyValueCases } from './kv-cases.js';
import { leaseCases } from './lease-cases.js';
import { lifecycleCases } from './lifecycle-cases.js';
import { listingCases } from './listing-cases.js';
import { lockCases } from './lock-cases.js';
import { operatorCases } from './operator-cases.js';
import { recordCases } from './records-cases.js';
import { retentionCases } from './retention-cases.js';
import { summaryCases } from './summary-cases.js';

export type { ConformanceHandle, OpenConformanceStore } from './fixtures.js';

/**
 * Registers the conformance cases (node:test) for one backend.
 *
 * `open` must return a store on empty storage of its own (not yet migrated: the suite
 * migrates) and a `cleanup` that closes it and removes the storage. It may also offer
 * `openAnother`, a second instance on the same storage, for the multi-instance cases.
 *
 * @example
 * storeConformance('sqlite', async () => {
 *   const dir = tempDir();
 *   const store = new SqliteStore({ path: join(dir.path, 'accord.db') });
 *   return { store, cleanup: async () => { await store.close(); dir.remove(); } };
 * });
 */
export function storeConformance(name: string, open: OpenConformanceStore): void {
  describe(`Store conformance: ${name}`, () => {
    describe('records', () => recordCases(open));
    describe('group commit', () => batchCases(open));
    describe('leases', () => leaseCases(open));
    describe('listing', () => listingCases(open));
    describe('lifecycle', () => lifecycleCases(open));
    describe('retention', () => retentionCases(open));
    describe('delayed delivery', () => delayCases(open));
    describe('hasten', () => hastenCases(open));
    describe('summary', () => summaryCases(open));
    describe('pause, labels and operator filters', () => operatorCases(open));
    describe('key-value entries', () => keyValueCases(open));
    describe('row locks', () => lockCases(open));
  });
}
