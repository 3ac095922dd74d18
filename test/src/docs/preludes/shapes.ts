/**
 * Context of the protocol's type sketch: the one type it names without spelling out. The
 * sketch is then checked to be exactly the SDK's `Transaction` and `Attempt`.
 */
import type { Transaction } from '../sdk.js';

/** Every option of a transaction, with the server's defaults filled in. */
export type ResolvedOptions = Transaction['options'];
