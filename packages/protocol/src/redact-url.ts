/**
 * The one rule for hiding credentials inside URLs (store, broker and alert URLs, and error
 * messages that quote them): a password becomes `***`, and so does a `password=` query
 * parameter; the rest of the URL is kept so that it still says where it points.
 */

/** Options of {@link redactUrl}. */
export interface RedactUrlOptions {
  /** A user name without a password is a secret too (a NATS token is written that way). */
  readonly userIsSecret?: boolean;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The URL with its credentials replaced by `***`. A URL that does not parse has everything
 * between `//` and the first `@` hidden, since where its password ends cannot be told.
 *
 * @example
 * redactUrl('postgres://app:s3cret@db/accord'); // 'postgres://app:***@db/accord'
 * redactUrl('nats://t0ken@n:4222', { userIsSecret: true }); // 'nats://***@n:4222'
 */
export function redactUrl(url: string, options: RedactUrlOptions = {}): string {
  const text = url.replace(/([?&]password=)[^&#]*/gi, '$1***');
  const scheme = SCHEME.exec(text)?.[0];
  if (scheme === undefined) return text;
  if (!URL.canParse(text)) return text.replace(/^([^@]*?:\/\/)[^@]*@/, '$1***@');
  // The authority ends at the first `/`, `?` or `#`; the user info, at its last `@`.
  const userInfo = /^[^/?#]*@/.exec(text.slice(scheme.length))?.[0].slice(0, -1);
  if (userInfo === undefined) return text;
  const colon = userInfo.indexOf(':');
  const rest = text.slice(scheme.length + userInfo.length);
  if (colon >= 0) return `${scheme}${userInfo.slice(0, colon)}:***${rest}`;
  return options.userIsSecret ? `${scheme}***${rest}` : text;
}

/**
 * Free text (an error message, say) with every URL in it passed through {@link redactUrl}.
 *
 * @example
 * redactUrlsIn('cannot reach postgres://app:s3cret@db/x'); // 'cannot reach postgres://app:***@db/x'
 */
export function redactUrlsIn(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => redactUrl(url));
}
