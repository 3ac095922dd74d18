/**
 * The SDK names the preludes hand to doc blocks, imported in one place so that a move of
 * an SDK entry point changes one file here.
 */
export { AccordClient, BusinessFailure, type Attempt, type Transaction } from '@accord/client';
export { accordHandler, type AccordContext } from '@accord/client/participant';
export { checkBackHandler, pgBarrier } from '@accord/client/barrier';
export { pgInbox, pgOutbox, rabbitPublisher } from '@accord/client/outbox';
export {
  coordinatorDecider,
  pgXa,
  startRecovery,
  xaLocalHandler,
  xaPhaseTwoHandler,
} from '@accord/client/xa';
