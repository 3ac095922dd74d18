/**
 * Money transfers between two banks in each of Accord's modes, as a client of the
 * coordinator would write them.
 */
import type { AccordClient, Transaction } from '@accord/client';

/** One side of a transfer: the bank service's base URL and the account there. */
export interface AccountRef {
  readonly url: string;
  readonly account: string;
}

/** What every transfer takes. */
export interface TransferRequest {
  readonly gid?: string;
  readonly from: AccountRef;
  readonly to: AccountRef;
  readonly amount: number;
}

/** Saga: withdraw, then deposit; a refusal compensates what ran, in reverse. */
export function sagaTransfer(accord: AccordClient, t: TransferRequest): Promise<Transaction> {
  return accord
    .saga(t.gid ? { gid: t.gid } : {})
    .step({
      id: 'withdraw',
      action: `${t.from.url}/saga/withdraw`,
      compensate: `${t.from.url}/saga/withdraw-revert`,
      payload: { account: t.from.account, amount: t.amount },
    })
    .step({
      id: 'deposit',
      action: `${t.to.url}/saga/deposit`,
      compensate: `${t.to.url}/saga/deposit-revert`,
      payload: { account: t.to.account, amount: t.amount },
    })
    .submit({ waitResult: true });
}

/**
 * TCC: freeze the amount at the source and note it as incoming at the target; confirm
 * both, or cancel both when a try is refused.
 */
export async function tccTransfer(accord: AccordClient, t: TransferRequest): Promise<Transaction> {
  const { transaction } = await accord.tcc(
    async (tcc) => {
      await tcc.branch({
        branchId: 'withdraw',
        try: `${t.from.url}/tcc/withdraw-try`,
        confirm: `${t.from.url}/tcc/withdraw-confirm`,
        cancel: `${t.from.url}/tcc/withdraw-cancel`,
        payload: { account: t.from.account, amount: t.amount },
      });
      await tcc.branch({
        branchId: 'deposit',
        try: `${t.to.url}/tcc/deposit-try`,
        confirm: `${t.to.url}/tcc/deposit-confirm`,
        cancel: `${t.to.url}/tcc/deposit-cancel`,
        payload: { account: t.to.account, amount: t.amount },
      });
    },
    { ...(t.gid ? { gid: t.gid } : {}), waitResult: true },
  );
  return transaction;
}

/**
 * Two-phase message: the source bank debits in its own local transaction and the
 * message delivers the credit, retried until it lands (never compensated).
 */
export async function msgTransfer(t: TransferRequest): Promise<{ gid: string; status: string }> {
  const response = await fetch(`${t.from.url}/transfers/msg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ gid: t.gid, from: t.from.account, to: t.to, amount: t.amount }),
  });
  const body = (await response.json()) as { gid: string; status: string; error?: unknown };
  if (!response.ok)
    throw new Error(`msg transfer refused: ${response.status} ${JSON.stringify(body)}`);
  return body;
}
