/**
 * The CLI's calls to a running coordinator, over the runtime's own `fetch` so a command
 * loads no HTTP client library. Error answers become {@link ApiError} with the server's
 * code, message and field issues.
 */

/** Where the coordinator is and the token to send. */
export interface ApiTarget {
  readonly url: string;
  readonly token?: string | null | undefined;
}

/** A coordinator's error answer. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
  }

  /** `CODE: message`, then one line per field issue. */
  describe(): string {
    const lines = this.issues.map((i) => `  ${i.path || '(body)'}: ${i.message}`);
    return [`${this.code}: ${this.message}`, ...lines].join('\n');
  }
}

const TIMEOUT_MS = 30_000;

function errorOf(status: number, body: unknown): ApiError {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (error && typeof error['code'] === 'string') {
    const details = error['details'] as { issues?: unknown } | undefined;
    const issues = Array.isArray(details?.issues)
      ? (details.issues as Array<{ path: string; message: string }>)
      : [];
    const message = typeof error['message'] === 'string' ? error['message'] : '';
    return new ApiError(error['code'], message, status, issues);
  }
  return new ApiError('COORDINATOR_ERROR', `unexpected HTTP ${status} answer`, status);
}

/**
 * Calls one route and returns its JSON answer.
 *
 * @example
 * const me = await callApi<{ name: string }>(target, 'GET', '/v1/whoami');
 */
export async function callApi<T>(
  target: ApiTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token) headers['authorization'] = `Bearer ${target.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(new URL(path, target.url), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined) ?? error) : error;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`cannot reach the coordinator at ${target.url} (ACCORD_URL): ${why}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) throw errorOf(response.status, json);
  return json as T;
}
