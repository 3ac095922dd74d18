import { AccordError } from './errors.js';
import type { Clock } from './clock.js';

/** Accord's id epoch: 2024-01-01T00:00:00Z. */
export const SNOWFLAKE_EPOCH = 1_704_067_200_000;
const NODE_BITS = 10n;
const SEQUENCE_BITS = 12n;
const MAX_NODE = (1 << Number(NODE_BITS)) - 1;
const MAX_SEQUENCE = (1 << Number(SEQUENCE_BITS)) - 1;

/**
 * Time-ordered 64-bit ids: 41 bits of ms since {@link SNOWFLAKE_EPOCH}, 10 bits of node
 * id, 12 bits of per-ms sequence. Refuses to issue ids while the clock is behind the
 * last id it issued, so ids never repeat or go backwards.
 *
 * @example
 * const ids = new Snowflake(7, systemClock);
 * ids.next(); // 123456789012345678n
 */
export class Snowflake {
  /** Time part of the last id issued; may run ahead of the clock after a sequence overflow. */
  private lastMs = -1;
  /** Last clock reading, to detect the clock itself going back. */
  private lastReading = -1;
  private sequence = 0;

  constructor(
    private readonly node: number,
    private readonly clock: Clock,
  ) {
    if (!Number.isInteger(node) || node < 0 || node > MAX_NODE) {
      throw new RangeError(`node id must be an integer from 0 to ${MAX_NODE}`);
    }
  }

  /** The next id, or throws CLOCK_MOVED_BACKWARDS if time went back. */
  next(): bigint {
    const reading = this.clock.now();
    if (reading < this.lastReading) {
      throw new AccordError(
        'CLOCK_MOVED_BACKWARDS',
        `clock is ${this.lastReading - reading} ms behind the last issued id`,
      );
    }
    this.lastReading = reading;
    let ms = Math.max(reading, this.lastMs);
    if (ms === this.lastMs) {
      this.sequence = (this.sequence + 1) & MAX_SEQUENCE;
      // Sequence exhausted for this ms: borrow the next one (ids stay unique and ordered).
      if (this.sequence === 0) ms += 1;
    } else {
      this.sequence = 0;
    }
    this.lastMs = ms;
    return (
      (BigInt(ms - SNOWFLAKE_EPOCH) << (NODE_BITS + SEQUENCE_BITS)) |
      (BigInt(this.node) << SEQUENCE_BITS) |
      BigInt(this.sequence)
    );
  }

  /** Splits an id back into its time, node and sequence. */
  static parse(id: bigint): { timeMs: number; node: number; sequence: number } {
    return {
      timeMs: Number(id >> (NODE_BITS + SEQUENCE_BITS)) + SNOWFLAKE_EPOCH,
      node: Number((id >> SEQUENCE_BITS) & BigInt(MAX_NODE)),
      sequence: Number(id & BigInt(MAX_SEQUENCE)),
    };
  }
}
