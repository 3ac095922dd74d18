/**
 * What tcc and msg do when the user's callback throws: abort the transaction, then rethrow
 * the callback's own error, never a different one.
 */

/** Longest abort reason sent to the coordinator. */
const MAX_REASON = 500;

/** The message of anything thrown, for an abort reason. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

/**
 * Runs `abort`, then throws `original`. If the abort fails too, the original still wins:
 * an `Error` without a `cause` is thrown as itself with the abort failure as its `cause`;
 * anything else is thrown as an `AggregateError` of `[original, abortFailure]` whose
 * `cause` is the original.
 *
 * @example
 * try { result = await fn(ctx); }
 * catch (error) { return abortThenRethrow(() => api.abort(gid, { reason: reasonOf(error) }), error); }
 */
export async function abortThenRethrow(
  abort: () => Promise<unknown>,
  original: unknown,
): Promise<never> {
  try {
    await abort();
  } catch (abortFailure) {
    if (original instanceof Error && original.cause === undefined) {
      original.cause = abortFailure;
      throw original;
    }
    throw new AggregateError(
      [original, abortFailure],
      `${reasonOf(original)} (and the abort failed: ${reasonOf(abortFailure)})`,
      { cause: original },
    );
  }
  throw original;
}
