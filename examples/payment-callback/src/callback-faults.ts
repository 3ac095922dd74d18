/**
 * Faults a merchant's callback endpoint can be told to show, to exercise the delivery:
 * answer 503 without doing anything (the merchant is down), or apply the payment and
 * then answer 500 (the acknowledgement is lost, so the same notification comes again).
 */

/** How many callbacks each fault applies to. */
export interface CallbackFaultOptions {
  /** Answer 503 to the first so many callbacks (`Infinity`: never acknowledge). */
  failFirst?: number;
  /** After those, apply but answer 500 to the next so many (lost acknowledgements). */
  loseAcks?: number;
}

/** The fault counters of one merchant; each `take*` uses up one. */
export class CallbackFaults {
  failFirst: number;
  loseAcks: number;

  constructor(options: CallbackFaultOptions = {}) {
    this.failFirst = options.failFirst ?? 0;
    this.loseAcks = options.loseAcks ?? 0;
  }

  /** Sets both counters anew. */
  arm(options: CallbackFaultOptions): void {
    this.failFirst = options.failFirst ?? 0;
    this.loseAcks = options.loseAcks ?? 0;
  }

  /** True when this callback must be answered 503 before any work. */
  takeFailure(): boolean {
    if (this.failFirst <= 0) return false;
    this.failFirst -= 1;
    return true;
  }

  /** True when this callback's acknowledgement must be lost (after the work). */
  takeLostAck(): boolean {
    if (this.loseAcks <= 0) return false;
    this.loseAcks -= 1;
    return true;
  }
}
