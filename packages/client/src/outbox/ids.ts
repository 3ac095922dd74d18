/**
 * Default message ids: UUIDv7 (RFC 9562), time-ordered so rows sort roughly by creation,
 * and unique without coordination.
 */
import { randomBytes, randomInt } from 'node:crypto';

let lastMs = -1;
let counter = 0;

/**
 * A new UUIDv7: 48 bits of epoch milliseconds, a 12-bit counter that keeps ids made in the
 * same millisecond in order (its start is random), and 62 random bits. Ids from one
 * process never go backwards, even if `now` does.
 *
 * @example
 * outboxId(); // '0192f6c4-5b1e-7a3c-9d2e-4f6a8b0c1d2e'
 */
export function outboxId(now: number = Date.now()): string {
  let ms = Math.max(Math.floor(now), lastMs);
  if (ms === lastMs) {
    counter += 1;
    if (counter > 0xfff) {
      // Counter exhausted within one millisecond: borrow the next one.
      ms += 1;
      counter = randomInt(0, 0x800);
    }
  } else {
    counter = randomInt(0, 0x800);
  }
  lastMs = ms;
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
