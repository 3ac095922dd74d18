/**
 * The JSON shapes of best-effort notifications (`/v1/notifications`), as the SDK sends
 * and receives them: the types of the schemas in `@accord/core/schemas`.
 */
export type { Notification, NotificationQuery, NotificationRequest } from '@accord/core';
