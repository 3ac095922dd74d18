/**
 * The SDK names the preludes hand to doc blocks, imported in one place so that a move of
 * an SDK entry point changes one file here.
 */
export {
  AccordClient,
  accordHandler,
  BusinessFailure,
  checkBackHandler,
  coordinatorDecider,
  pgBarrier,
  pgInbox,
  pgOutbox,
  pgXa,
  rabbitPublisher,
  startRecovery,
  xaLocalHandler,
  xaPhaseTwoHandler,
  type AccordContext,
  type Attempt,
  type Transaction,
} from '@accord/client';
