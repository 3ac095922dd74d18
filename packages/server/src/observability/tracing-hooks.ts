/** What tracing adds to the coordinator: hooks on its branch caller and engine observer. */
import type { BranchCall } from '../engine/branch-call.js';
import type { EngineObserver } from '../engine/observer.js';

/** Spans of the coordinator: hooks on the branch caller and on the engine observer. */
export interface Tracing {
  /** Wraps a caller so that each branch attempt is a span, sent as the call's traceparent. */
  traceCalls(inner: BranchCall): BranchCall;
  /** Wraps an observer so that ended transactions and store commits become spans. */
  traceEngine(inner: EngineObserver): EngineObserver;
  /** Exports what is buffered, then stops the exporter. */
  shutdown(): Promise<void>;
}
