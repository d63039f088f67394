// Workflows of the local-activity hop probe (la-hop.ts): nothing but the hops.
import { condition, defineSignal, proxyLocalActivities, setHandler } from '@temporalio/workflow';

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
