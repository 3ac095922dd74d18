/**
 * What the operator commands share: one request to the coordinator's API (with the
 * configured URL and token; an error reply becomes an Error saying its code and message),
 * and a plain-text table for people.
 */
import { loadCliTarget } from '../config/config.js';

/** Sends one request to the coordinator; resolves to the reply's JSON body. */
export async function apiRequest(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const { url, token } = loadCliTarget();
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new Error(
      `cannot reach the coordinator at ${url} (ACCORD_URL): ${cause ?? String(error)}`,
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new Error(
      error ? `${error.code}: ${error.message}` : `${method} ${path}: HTTP ${response.status}`,
    );
  }
  return json;
}

/**
 * Columns padded to their widest cell, a header line first; numbers (and `-`) right-aligned.
 *
 * @example
 * formatTable(['HOST', 'CALLS'], [['a:80', '3']]); // 'HOST  CALLS\na:80      3'
 */
export function formatTable(headers: readonly string[], rows: readonly string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-\d.,%]+( ms)?$/.test(r[i] ?? '')),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** A time in ms (or an ISO text) as a short UTC text; `-` for none. */
export function timeText(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return new Date(value)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}
