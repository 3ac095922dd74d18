/**
 * @accord/core: the pure heart of Accord. Protocol types, errors, state machines,
 * backoff, ids and the Store port. Imports no driver and performs no I/O.
 */
export * from './protocol.js';
export * from './errors.js';
export * from './clock.js';
export * from './backoff.js';
export * from './delivery-delay.js';
export * from './snowflake.js';
export * from './store.js';
export * from './key-value.js';
export * from './row-locks.js';
export * from './labels.js';
export * from './stuck.js';
export type { Alert, Decision, DriveState, MachineContext, MachineEvent } from './machine/types.js';
export { transition, nextAttemptAt } from './machine/transition.js';
export { modesWhere, rulesOf, registeredOps, type ModeRules } from './machine/mode-rules.js';
export {
  backwardComplete,
  eligibleOps,
  forwardDone,
  isRefusable,
  runnableOps,
} from './machine/phases.js';
export {
  checkStepGraph,
  createSnapshot,
  effectiveDependencies,
  newOp,
  type NewTransaction,
  type StepSpec,
  type TargetSpec,
} from './machine/create.js';
export {
  NOTIFY_SCHEDULES,
  NOTIFY_SCHEDULE_PRESETS,
  type NotifySchedulePreset,
} from './notify-schedules.js';
export type {
  AbortOptions,
  Attempt,
  Branch,
  BranchLastError,
  CreateTransactionRequest,
  ErrorBody,
  Notification,
  NotificationQuery,
  NotificationRequest,
  QueryResult,
  RegisterBranchRequest,
  ResolveRequest,
  RetryOptions,
  StepRequest,
  SubmitOptions,
  TccBranchRequest,
  Transaction,
  TransactionOptionsInput,
  TransactionPage,
  WaitResult,
  XaBranchRequest,
} from './schemas/index.js';
