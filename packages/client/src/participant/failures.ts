/**
 * The two outcomes a participant reports by throwing: a business refusal (409) and "not
 * finished yet" (425). Both are `AccordError`s, so a tcc `try` that was refused reaches
 * the caller as a `BusinessFailure` too (and, thrown on from a nested participant,
 * becomes its 409).
 */
import { AccordError } from '@accord/core';

/**
 * Business refusal: the handler answers 409. For a saga action or a tcc try this aborts
 * the transaction; ops that must succeed (compensate, confirm, cancel) are retried.
 *
 * @example
 * if (balance < amount) throw new BusinessFailure('insufficient funds');
 */
export class BusinessFailure extends AccordError {
  constructor(message = 'business failure', details?: unknown) {
    super('BRANCH_FAILED', message, details);
    this.name = 'BusinessFailure';
  }
}

/**
 * Not finished yet: the handler answers 425 and the coordinator asks again after a fixed
 * delay, without backoff growth.
 *
 * @example
 * if (payment.state === 'pending') throw new Ongoing('payment still pending');
 */
export class Ongoing extends AccordError {
  constructor(message = 'operation in progress', details?: unknown) {
    super('BRANCH_ONGOING', message, details);
    this.name = 'Ongoing';
  }
}
