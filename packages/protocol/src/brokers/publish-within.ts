/**
 * What every broker publisher shares: the message, the result, and running one publish
 * under a deadline.
 */

/** One message to publish. */
export interface BrokerMessage {
  /** Stable id (`<gid>/<branchId>`): AMQP `messageId`, JetStream `Nats-Msg-Id`. */
  readonly id: string;
  /** JSON text; empty for no body. */
  readonly body: string;
  /** String headers carried with the message. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The result of one publish: `ok` only once the broker has confirmed it holds the message
 * (a RabbitMQ publisher confirm, a JetStream PubAck). `duplicate` is true when JetStream
 * recognised the id inside the stream's duplicate window and kept the earlier copy.
 */
export type PublishResult =
  | { readonly ok: true; readonly duplicate: boolean }
  | { readonly ok: false; readonly message: string };

/** Shared state of one publish attempt, so late steps can stop once it has timed out. */
export interface Attempt {
  /** Set when the timeout has fired: nothing may be sent any more. */
  expired: boolean;
  /** What the attempt is doing now, for the timeout message (e.g. "connecting"). */
  phase: string;
  /** Milliseconds left before the timeout. */
  remaining(): number;
}

/**
 * Runs `work` with a deadline. On timeout the result is a failure whose message comes
 * from `describeTimeout(phase)`, `attempt.expired` is set, and whatever `work` still does
 * is ignored. A rejection of `work` becomes a failure via `describeError`.
 */
export async function publishWithin(
  timeoutMs: number,
  work: (attempt: Attempt) => Promise<PublishResult>,
  describeTimeout: (phase: string) => string,
  describeError: (error: unknown) => string,
): Promise<PublishResult> {
  const deadline = performance.now() + timeoutMs;
  const attempt: Attempt = {
    expired: false,
    phase: 'starting',
    remaining: () => Math.max(0, deadline - performance.now()),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<PublishResult>((resolve) => {
    timer = setTimeout(() => {
      attempt.expired = true;
      resolve({ ok: false, message: describeTimeout(attempt.phase) });
    }, timeoutMs);
  });
  const running = work(attempt).catch((error: unknown): PublishResult => ({
    ok: false,
    message: describeError(error),
  }));
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The message of any thrown value, with a Node error code in front when there is one. */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return errorText(error.errors[0]);
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
