/** The engine observer that feeds metrics and structured logs. */
import type { Logger } from 'pino';
import type { Alert, TransactionRecord } from '@accord/core';
import { isRefusable } from '@accord/core';
import type { EngineObserver } from '../engine/observer.js';
import { observeTraced, type Metrics } from './metrics.js';
import { transactionLogFields } from './transaction-log.js';

function alertFields(alert: Alert, tx: TransactionRecord) {
  return { ...transactionLogFields(tx, alert), reason: alert.reason };
}

/** Builds an observer writing to `metrics` and `logger`. */
export function metricsObserver(metrics: Metrics, logger: Logger): EngineObserver {
  return {
    branchCall(tx, op, outcome, seconds) {
      const fields = transactionLogFields(tx, op);
      observeTraced(
        metrics.branchCalls,
        { op: op.op, outcome: outcome.kind },
        seconds,
        fields.trace_id,
      );
      const refusedForward = outcome.kind === 'failure' && isRefusable(tx.mode, op.op);
      if (outcome.kind !== 'success' && !refusedForward) {
        metrics.retries.inc({ op: op.op });
        logger.debug(
          {
            ...fields,
            outcome: outcome.kind,
            httpStatus: outcome.httpStatus,
          },
          'branch call did not succeed',
        );
      }
    },
    terminal(tx) {
      metrics.transactions.inc({ mode: tx.mode, status: tx.status });
      const ended = tx.finishedAt ?? tx.updatedAt;
      const fields = transactionLogFields(tx);
      observeTraced(
        metrics.transactionDuration,
        { mode: tx.mode, outcome: tx.status },
        Math.max(0, ended - tx.createdAt) / 1000,
        fields.trace_id,
      );
      if (tx.status === 'failed')
        logger.info({ ...fields, mode: tx.mode, reason: tx.reason }, 'transaction failed');
    },
    alert(alert, tx) {
      if (alert.kind === 'parked') {
        metrics.parkedTotal.inc({ mode: tx.mode });
        logger.error(
          { ...alertFields(alert, tx), alert: 'parked' },
          'transaction parked: an operator must retry or resolve it',
        );
        return;
      }
      if (alert.kind === 'stuck') {
        logger.error(
          { ...alertFields(alert, tx), mode: tx.mode, status: tx.status, alert: 'stuck' },
          'transaction stuck: not terminal long after it was created',
        );
        return;
      }
      logger.error(
        { ...alertFields(alert, tx), mode: tx.mode, alert: 'failed' },
        'notification failed: its receiver never acknowledged it',
      );
    },
    storeWrite(_batch, seconds) {
      metrics.storeWrites.observe(seconds);
    },
    claimed(count, lagSeconds) {
      metrics.dueLag.set(lagSeconds);
      logger.debug({ count, lagSeconds }, 'claimed due transactions');
    },
    purged(count) {
      metrics.purged.inc(count);
      logger.info({ count }, 'purged old terminal transactions');
    },
    lost(tx, why) {
      metrics.leasesLost.inc();
      logger.warn({ ...transactionLogFields(tx), why }, 'stopped driving transaction');
    },
  };
}
