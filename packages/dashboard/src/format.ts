/** Formatting shared by the pages. */

/** A time as `HH:MM:SS` today, or the date and time otherwise; `-` for none. */
export function time(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  const date = new Date(value);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

/** A duration in ms, short. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** An error message for display. */
export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
