/**
 * Retry schedules of best-effort notifications: the delays before each redelivery of a
 * notification its receiver has not acknowledged. After the last one the notification
 * fails (and can still be queried).
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Named schedules a notification may ask for instead of listing delays. */
export const NOTIFY_SCHEDULES = {
  /** 1m, 5m, 10m, 30m, 1h, 2h, 5h, 10h: eight redeliveries over about 19 hours. */
  default: [1, 5, 10, 30].map((m) => m * MINUTE).concat([1, 2, 5, 10].map((h) => h * HOUR)),
  /**
   * The schedule payment platforms commonly use for merchant callbacks: 15s, 15s, 30s, 3m,
   * 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h (about 24 hours in all).
   */
  wechat: [15 * SECOND, 15 * SECOND, 30 * SECOND]
    .concat([3, 10, 20, 30, 30, 30, 60].map((m) => m * MINUTE))
    .concat([3, 3, 3, 6, 6].map((h) => h * HOUR)),
} as const satisfies Record<string, readonly number[]>;

/** A named schedule. */
export type NotifySchedulePreset = keyof typeof NOTIFY_SCHEDULES;

/** Names of the preset schedules. */
export const NOTIFY_SCHEDULE_PRESETS = Object.keys(NOTIFY_SCHEDULES) as NotifySchedulePreset[];
