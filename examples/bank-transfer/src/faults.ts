/**
 * Faults a participant can be told to show, to exercise the coordinator: answer 503
 * without doing the work, do the work and then answer 503 (so the coordinator sends it
 * again: a duplicate delivery), or answer late.
 */
import type { FastifyInstance } from 'fastify';

/** A kind of fault. */
export type FaultKind = 'fail-before' | 'fail-after' | 'delay';

/** A fault armed on one route for the next `count` calls. */
export interface Fault {
  readonly route: string;
  readonly kind: FaultKind;
  count: number;
  /** For `delay`: how long, ms. */
  readonly delayMs?: number;
}

/** Arms and fires faults on a Fastify app's routes. */
export class FaultInjector {
  private readonly faults = new Map<string, Fault>();

  /** Arms a fault; replaces any fault on the same route. */
  arm(fault: Fault): void {
    this.faults.set(fault.route, { ...fault });
  }

  /** Disarms every fault. */
  clear(): void {
    this.faults.clear();
  }

  private take(route: string, kind: FaultKind): Fault | undefined {
    const fault = this.faults.get(route);
    if (!fault || fault.kind !== kind || fault.count <= 0) return undefined;
    fault.count -= 1;
    return fault;
  }

  /** Installs the hooks that fire armed faults. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => {
      const route = request.routeOptions.url ?? request.url;
      const delay = this.take(route, 'delay');
      if (delay) await new Promise((r) => setTimeout(r, delay.delayMs ?? 100));
      if (this.take(route, 'fail-before')) {
        return reply.code(503).send({ error: 'injected fault before the work' });
      }
    });
    app.addHook('onSend', async (request, reply, payload) => {
      const route = request.routeOptions.url ?? request.url;
      if (reply.statusCode < 300 && this.take(route, 'fail-after')) {
        void reply.code(503);
        return JSON.stringify({ error: 'injected fault after the work' });
      }
      return payload;
    });
  }
}
