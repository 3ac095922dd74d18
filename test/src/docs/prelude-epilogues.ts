/**
 * Code appended after a block, per prelude, for checks that must see what the block
 * declares: a type sketch in the docs is compiled and required to be exactly the SDK's.
 */

/** Type-level equality that tells `readonly`, optional and `any` apart. */
const SAME = `type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;`;

/** Epilogues by prelude name. */
export const PRELUDE_EPILOGUES: Readonly<Record<string, string>> = {
  shapes: [
    "import type { Attempt as SdkAttempt, Transaction as SdkTransaction } from '@accord/client';",
    SAME,
    'export const transactionIsTheSdks: Same<Transaction, SdkTransaction> = true;',
    'export const attemptIsTheSdks: Same<Attempt, SdkAttempt> = true;',
  ].join('\n'),
};
