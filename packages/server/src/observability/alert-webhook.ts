/**
 * The alert webhook: tells an operator's endpoint (chat bridge, paging service) at once
 * when a transaction parks or a notification fails for good. Best effort on purpose: a
 * few quick retries, then a log line; the alert itself stays visible in the store
 * (parked flag, failed status), in metrics and in the error log.
 */
import type { Logger } from 'pino';
import type { Alert, Clock, TransactionRecord } from '@accord/core';
import { ACCORD_HEADERS } from '@accord/core';
import type { EngineObserver } from '../engine/observer.js';
import { signPayload, type SignedCall } from '@accord/protocol';
import { callTrace } from '../outbound/call-trace.js';
import { transactionLogFields, type TransactionLogFields } from './transaction-log.js';

/** Settings of the webhook. */
export interface AlertWebhookOptions {
  readonly url: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Signs the body like branch calls (`Accord-Signature`); null: unsigned. */
  readonly signingSecret: string | null;
  /** Delays before each retry, ms (default 1 s, 5 s). */
  readonly retryDelaysMs?: readonly number[];
  readonly timeoutMs?: number;
}

/** The JSON body the webhook receives. */
export interface AlertPayload {
  readonly kind: Alert['kind'];
  readonly gid: string;
  readonly mode: TransactionRecord['mode'];
  readonly branchId: string;
  readonly op: Alert['op'];
  readonly reason: string;
  readonly at: string;
}

/** Wraps an observer so that every alert is also posted to the webhook. */
export function withAlertWebhook(
  inner: EngineObserver,
  options: AlertWebhookOptions,
): EngineObserver {
  return {
    ...inner,
    alert(alert, tx) {
      inner.alert(alert, tx);
      const payload: AlertPayload = {
        kind: alert.kind,
        gid: alert.gid,
        mode: tx.mode,
        branchId: alert.branchId,
        op: alert.op,
        reason: alert.reason,
        at: new Date(options.clock.now()).toISOString(),
      };
      void deliver(
        options,
        JSON.stringify(payload),
        { gid: alert.gid, branchId: alert.branchId, op: ALERT_OP, mode: tx.mode },
        callTrace(tx, undefined),
        transactionLogFields(tx, alert),
      );
    },
  };
}

/**
 * The `Accord-Op` of alert webhook calls; with `Accord-Gid`, `Accord-Branch` and
 * `Accord-Mode` (the transaction's mode) it is what the signature binds (verify with the
 * SDK's `verifySignature`).
 */
export const ALERT_OP = 'alert';

async function deliver(
  options: AlertWebhookOptions,
  body: string,
  call: SignedCall,
  trace: { readonly traceparent: string; readonly tracestate?: string },
  logFields: TransactionLogFields,
): Promise<void> {
  const delays = options.retryDelaysMs ?? [1_000, 5_000];
  const timeout = options.timeoutMs ?? 5_000;
  let problem = '';
  for (let attempt = 0; attempt <= delays.length; attempt += 1) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, delays[attempt - 1]));
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [ACCORD_HEADERS.gid]: call.gid,
        [ACCORD_HEADERS.branch]: call.branchId,
        [ACCORD_HEADERS.op]: call.op,
        [ACCORD_HEADERS.mode]: call.mode,
        [ACCORD_HEADERS.traceparent]: trace.traceparent,
        ...(trace.tracestate === undefined
          ? {}
          : { [ACCORD_HEADERS.tracestate]: trace.tracestate }),
      };
      if (options.signingSecret !== null) {
        headers[ACCORD_HEADERS.signature] = signPayload(
          options.signingSecret,
          call,
          body,
          options.clock.now(),
        );
      }
      // undici is loaded with the first alert, not at start-up.
      const { request } = await import('undici');
      const response = await request(options.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(timeout),
      });
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) return;
      problem = `HTTP ${response.statusCode}`;
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
  }
  options.logger.warn({ ...logFields, problem }, 'alert webhook did not accept the alert');
}
