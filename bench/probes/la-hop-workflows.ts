// Workflows of the local-activity hop probe (la-hop.ts): nothing but the hops.
import { defineSearchAttributeKey } from '@temporalio/common';
import { condition, defineSignal, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';

export interface HopActivities {
  hop(n: number): Promise<number>;
}
const { hop } = proxyLocalActivities<HopActivities>({ startToCloseTimeout: '10 seconds' });

export const goSignal = defineSignal('go');

/** Three local activities in a row, as the purchase's first workflow task. */
export async function threeHops(): Promise<void> {
  await hop(1);
  await hop(2);
  await hop(3);
}

/** Waits for a signal, then one local activity, as the purchase's second workflow task. */
export async function signalHop(): Promise<void> {
  let go = false;
  setHandler(goSignal, () => void (go = true));
  await condition(() => go);
  await hop(1);
}

/**
 * A purchase's shape in Temporal terms and nothing else (saga-shape.ts): three local activities and
 * a status upsert in the first task, the deadline timer, an outcome signal, one local activity and
 * the final upsert in the second. The activities do nothing.
 */
export async function purchaseShape(upserts = true): Promise<void> {
  let outcome = false;
  setHandler(goSignal, () => void (outcome = true));
  const status = defineSearchAttributeKey('PurchaseStatus', 'KEYWORD');
  await hop(1);
  await hop(2);
  if (upserts) upsertSearchAttributes([{ key: status, value: 'PENDING' }]);
  await hop(3);
  await condition(() => outcome, '1 minute');
  await hop(4);
  if (upserts) upsertSearchAttributes([{ key: status, value: 'COMPLETED' }]);
}
