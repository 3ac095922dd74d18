/**
 * The SDK's one door to the network: a keep-alive undici {@link Agent} shared by the
 * coordinator calls and the tcc `try` calls. Knows nothing of the protocol.
 */
import { Agent, request } from 'undici';

/** One HTTP exchange to send. */
export interface HttpCall {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Body text, or undefined for none. */
  readonly body?: string | undefined;
  /** Gives up when the whole answer has not arrived in this time, ms. */
  readonly timeoutMs: number;
}

/** The answer, body read in full. */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/**
 * Keep-alive HTTP over undici. Errors (refused, reset, and a `TimeoutError` when
 * `timeoutMs` passes) are thrown as raised; callers give them meaning.
 *
 * @example
 * const http = new HttpTransport();
 * const answer = await http.send({ method: 'GET', url, headers: {}, timeoutMs: 1000 });
 * await http.close();
 */
export class HttpTransport {
  readonly #agent: Agent;

  constructor(options: { connections?: number; keepAliveTimeoutMs?: number } = {}) {
    this.#agent = new Agent({
      connections: options.connections ?? 64,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
    });
  }

  /** Sends one request and reads the whole answer. */
  async send(call: HttpCall): Promise<HttpAnswer> {
    const res = await request(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      dispatcher: this.#agent,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
    const text = await res.body.text();
    const type = res.headers['content-type'];
    return {
      status: res.statusCode,
      contentType: (Array.isArray(type) ? type[0] : type) ?? '',
      text,
    };
  }

  /** Closes idle connections and waits for in-flight requests. */
  async close(): Promise<void> {
    await this.#agent.close();
  }
}
