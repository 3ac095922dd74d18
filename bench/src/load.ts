/**
 * A closed-loop load generator: N workers each run one operation after another, first
 * for a warm-up (not measured), then for the measured duration. An operation that
 * starts inside the measured window counts, even if it ends a little after it.
 */
import { performance } from 'node:perf_hooks';
import { summarize, type LatencySummary } from './stats.js';

/** One "transaction" of a scenario; rejects (best with an {@link OperationError}) on failure. */
export type Operation = (sequence: number) => Promise<void>;

/** A failed operation with a short kind used to group errors in the report. */
export class OperationError extends Error {
  constructor(
    readonly kind: string,
    message = kind,
  ) {
    super(message);
    this.name = 'OperationError';
  }
}

/** Where a running cell stands, for progress lines. */
export interface Progress {
  readonly phase: 'warm-up' | 'measure';
  /** Seconds into the current phase. */
  readonly elapsedS: number;
  readonly phaseS: number;
  readonly completed: number;
  readonly errors: number;
}

/** Settings of one cell. */
export interface LoadOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Called about every 200 ms while running. */
  readonly onProgress?: (progress: Progress) => void;
  /** Called once when the measured window opens (after the warm-up). */
  readonly onMeasureStart?: () => void;
  /** Stop starting operations once this many have started (default: no limit). */
  readonly stopAfter?: number;
}

/** What one cell measured. */
export interface LoadResult {
  /** Successful operations started in the measured window. */
  readonly completed: number;
  /** Failed operations started in the measured window. */
  readonly errors: number;
  /** Failures by kind, measured window only. */
  readonly errorKinds: Record<string, number>;
  /** Failures during the warm-up (not in `errors`, reported separately). */
  readonly warmupErrors: number;
  /** Successful operations including the warm-up, to check against participant counters. */
  readonly totalCompleted: number;
  /** From the start of the window to the end of its last operation, ms. */
  readonly elapsedMs: number;
  /** `completed` per second of `elapsedMs`. */
  readonly throughput: number;
  /** Latency of successful measured operations, ms. */
  readonly latencyMs: LatencySummary;
}

function kindOf(error: unknown): string {
  if (error instanceof OperationError) return error.kind;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** Runs `operation` closed-loop with `concurrency` workers and measures it. */
export async function runClosedLoop(
  operation: Operation,
  options: LoadOptions,
): Promise<LoadResult> {
  const start = performance.now();
  const measureStart = start + options.warmupMs;
  const end = measureStart + options.durationMs;
  const latencies: number[] = [];
  const errorKinds = new Map<string, number>();
  let errors = 0;
  let warmupErrors = 0;
  let totalCompleted = 0;
  let lastEnd = measureStart;
  let sequence = 0;
  const stopAfter = options.stopAfter ?? Number.POSITIVE_INFINITY;

  const worker = async () => {
    for (;;) {
      const began = performance.now();
      if (began >= end || sequence >= stopAfter) return;
      const measured = began >= measureStart;
      try {
        await operation(sequence++);
        const finished = performance.now();
        totalCompleted++;
        if (measured) {
          latencies.push(finished - began);
          lastEnd = Math.max(lastEnd, finished);
        }
      } catch (error) {
        if (!measured) {
          warmupErrors++;
          continue;
        }
        errors++;
        lastEnd = Math.max(lastEnd, performance.now());
        const kind = kindOf(error);
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
      }
    }
  };

  const { onProgress, onMeasureStart } = options;
  const opening = onMeasureStart ? setTimeout(onMeasureStart, options.warmupMs) : undefined;
  const timer = onProgress
    ? setInterval(() => {
        const now = performance.now();
        const warming = now < measureStart;
        onProgress({
          phase: warming ? 'warm-up' : 'measure',
          elapsedS: (warming ? now - start : now - measureStart) / 1000,
          phaseS: (warming ? options.warmupMs : options.durationMs) / 1000,
          completed: warming ? totalCompleted : latencies.length,
          errors: warming ? warmupErrors : errors,
        });
      }, 200)
    : undefined;
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    clearInterval(timer);
    clearTimeout(opening);
  }
  const elapsedMs = (sequence >= stopAfter ? lastEnd : Math.max(lastEnd, end)) - measureStart;
  return {
    completed: latencies.length,
    errors,
    errorKinds: Object.fromEntries(errorKinds),
    warmupErrors,
    totalCompleted,
    elapsedMs,
    throughput: latencies.length / (elapsedMs / 1000),
    latencyMs: summarize(latencies),
  };
}
