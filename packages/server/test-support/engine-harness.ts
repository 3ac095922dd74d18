/**
 * Builds an engine on a real SQLite store in a temp dir, with a manual clock and a
 * scripted participant, for engine tests.
 */
import type { NewTransaction, Store } from '@accord/core';
import { DEFAULT_RETRY_POLICY, ManualClock } from '@accord/core';
import { tempDir } from '@accord/testkit';
import { CrashPoints } from '../src/engine/crash-points.js';
import { Engine } from '../src/engine/engine.js';
import { silentObserver } from '../src/engine/observer.js';
import { openStore } from '../src/stores/open-store.js';
import { ScriptedCaller } from './scripted-caller.js';

/** An engine under test and its collaborators. */
export interface Harness {
  readonly engine: Engine;
  readonly store: Store;
  readonly clock: ManualClock;
  readonly caller: ScriptedCaller;
  /** Another engine on the same store (a second instance). */
  peer(owner: string): { engine: Engine; caller: ScriptedCaller };
  close(): Promise<void>;
}

/**
 * Starts a harness; `leaseMs` defaults to 10 s of manual-clock time. With `stalledMain`
 * the main engine only serves direct calls (no recovery, no lease renewal).
 */
export async function startHarness(
  leaseMs = 10_000,
  options: { stalledMain?: boolean; retentionMs?: number } = {},
): Promise<Harness> {
  const dir = tempDir('accord-engine-');
  const store = await openStore('sqlite:engine.db', { dataDir: dir.path });
  await store.migrate();
  const clock = new ManualClock(1_700_000_000_000);
  const engines: Engine[] = [];
  const make = (owner: string, caller: ScriptedCaller, start = true) => {
    const engine = new Engine({
      store,
      caller,
      clock,
      random: () => 0.5,
      owner,
      leaseMs,
      pollIntervalMs: 5,
      maxInFlight: 64,
      crash: new CrashPoints([]),
      retentionMs: options.retentionMs ?? null,
      observer: silentObserver,
      onError: () => undefined,
    });
    if (start) engine.start();
    engines.push(engine);
    return engine;
  };
  const caller = new ScriptedCaller();
  // A stalled main instance runs no recovery or lease renewal, like a paused process.
  const engine = make('main', caller, !options.stalledMain);
  return {
    engine,
    store,
    clock,
    caller,
    peer(owner) {
      const peerCaller = new ScriptedCaller();
      return { engine: make(owner, peerCaller), caller: peerCaller };
    },
    async close() {
      for (const e of engines) await e.stop(0);
      await store.close();
      dir.remove();
    },
  };
}

let counter = 0;

/** A saga spec with steps `s1..sN`, each with a compensation. */
export function sagaSpec(steps: number, extra: Partial<NewTransaction> = {}): NewTransaction {
  counter += 1;
  return {
    gid: `saga-${counter}`,
    mode: 'saga',
    checkUrl: null,
    fingerprint: `fp-${counter}`,
    options: {
      requestTimeoutMs: 1000,
      retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 },
      timeoutMs: null,
      concurrent: false,
      headers: {},
    },
    steps: Array.from({ length: steps }, (_, i) => ({
      id: `s${i + 1}`,
      action: { url: `http://p/s${i + 1}`, payload: '{}' },
      compensate: { url: `http://p/s${i + 1}/undo`, payload: '{}' },
    })),
    ...extra,
  };
}

/** A prepared tcc or msg spec. */
export function preparedSpec(
  mode: 'tcc' | 'msg',
  extra: Partial<NewTransaction> = {},
): NewTransaction {
  const base = sagaSpec(mode === 'msg' ? 2 : 0);
  return {
    ...base,
    gid: `${mode}-${counter}`,
    mode,
    checkUrl: mode === 'msg' ? 'http://p/check' : null,
    options: { ...base.options, timeoutMs: 35_000 },
    steps: base.steps.map((s) => ({ ...s, compensate: undefined })),
    ...extra,
  };
}
