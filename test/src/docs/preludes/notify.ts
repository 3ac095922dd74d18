/**
 * Context of the README's notification block: a coordinator client, a payment, and the
 * merchant's receiver (standing in for https://merchant.example), which acknowledges with
 * `success`. Checks that the notification ends `succeeded`.
 */
import { afterBlock } from '../prelude-hooks.js';
import { coordinatorClient, eventually } from '../prelude-common.js';
import { docsSetting } from '../prelude-env.js';
import { listen } from '../stand-in.js';

/** A client of the live coordinator. */
export const accord = coordinatorClient();
/** The payment whose merchant is notified. */
export const payment = { id: `docs-${Date.now().toString(36)}`, orderId: 42 };

let received = 0;
await listen(
  (req, res) => {
    req.resume();
    received += 1;
    res.end(req.url === '/callbacks/payment' ? 'success' : 'wrong path');
  },
  Number(docsSetting('merchantPort')),
);

afterBlock(async () => {
  await eventually(async () => {
    const { notification } = await accord.notification(`pay-${payment.id}`);
    return notification.status === 'succeeded';
  }, 'the notification is acknowledged');
  if (received !== 1) throw new Error(`the merchant got ${received} deliveries, expected 1`);
});
