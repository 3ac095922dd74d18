/**
 * The speed goals the coordinator is held to, judged on one run's cells: each against
 * the raw baseline measured in the same run, so a noisy machine moves both sides.
 */
import type { StoreKind } from './options.js';
import type { CellResult } from './report.js';
import type { SoakResult } from './soak.js';
import { table } from './text-table.js';

/** One goal, its measured figure and whether this run met it (null: not measured). */
export interface GoalResult {
  readonly goal: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

interface Goal {
  readonly goal: string;
  readonly target: string;
  judge(
    cells: readonly CellResult[],
    soak: SoakResult | null,
  ): { measured: string; met: boolean } | null;
}

function cell(cells: readonly CellResult[], store: StoreKind | null, concurrency: number) {
  return cells.find((c) => c.store === store && c.concurrency === concurrency);
}

function ratioGoal(store: StoreKind, floor: number, label: string): Goal {
  return {
    goal: `c=64 throughput, ${label}`,
    target: `>= ${floor}x raw`,
    judge(cells) {
      const raw = cell(cells, null, 64);
      const accord = cell(cells, store, 64);
      if (!raw || !accord || raw.throughput === 0) return null;
      const ratio = accord.throughput / raw.throughput;
      return {
        measured: `${ratio.toFixed(2)}x (${accord.throughput.toFixed(0)}/s of ${raw.throughput.toFixed(0)}/s)`,
        met: ratio >= floor,
      };
    },
  };
}

const GOALS: readonly Goal[] = [
  ratioGoal('sqlite', 0.35, 'SQLite, durable'),
  ratioGoal('memory', 0.5, 'in-memory store'),
  ratioGoal('postgres', 0.2, 'PostgreSQL'),
  {
    goal: 'c=64 p99, SQLite',
    target: '<= 4x raw p99',
    judge(cells) {
      const raw = cell(cells, null, 64)?.latencyMs.p99;
      const accord = cell(cells, 'sqlite', 64)?.latencyMs.p99;
      if (raw == null || accord == null || raw === 0) return null;
      return {
        measured: `${(accord / raw).toFixed(2)}x (${accord.toFixed(1)} ms of ${raw.toFixed(1)} ms)`,
        met: accord <= 4 * raw,
      };
    },
  },
  {
    goal: 'c=1 p50, SQLite, durable',
    target: '<= 2 ms',
    judge(cells) {
      const p50 = cell(cells, 'sqlite', 1)?.latencyMs.p50;
      if (p50 == null) return null;
      return { measured: `${p50.toFixed(2)} ms`, met: p50 <= 2 };
    },
  },
  {
    goal: 'RSS over the soak',
    target: 'within 10 %',
    judge(_cells, soak) {
      if (!soak || soak.growth === null) return null;
      return {
        measured: `${(soak.growth * 100).toFixed(1)} % over ${soak.completed} sagas`,
        met: soak.growth <= 0.1,
      };
    },
  },
];

/** Every goal, judged on `cells` (and the soak when it ran). */
export function judgeGoals(cells: readonly CellResult[], soak: SoakResult | null): GoalResult[] {
  return GOALS.map((goal) => {
    const verdict = goal.judge(cells, soak);
    return verdict
      ? { goal: goal.goal, target: goal.target, ...verdict }
      : { goal: goal.goal, target: goal.target, measured: 'not measured', met: null };
  });
}

/** The goals as a text table. */
export function formatGoals(goals: readonly GoalResult[]): string {
  return table(
    ['goal', 'target', 'measured', ''],
    goals.map((g) => [
      g.goal,
      g.target,
      g.measured,
      g.met === null ? '-' : g.met ? 'met' : 'NOT met',
    ]),
  );
}
