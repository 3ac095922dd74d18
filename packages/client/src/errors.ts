/**
 * The errors and protocol vocabulary a user of the SDK sees, re-exported from the core so
 * that `@accord/client` is the only package a service depends on.
 */
export {
  AccordError,
  ERROR_CODES,
  isAccordError,
  ValidationError,
  type ErrorCode,
  type FieldIssue,
} from '@accord/core';
export {
  ACCORD_HEADERS,
  GLOBAL_STATUSES,
  MODES,
  NOTIFY_SCHEDULE_PRESETS,
  type GlobalStatus,
  type Mode,
  type NotifySchedulePreset,
  type OpName,
  type OpStatus,
  type OutcomeKind,
  type ParticipantOp,
  type RetryPolicy,
  type TransactionOptions,
} from '@accord/core';
export type { Clock } from '@accord/core';
