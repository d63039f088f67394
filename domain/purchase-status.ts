// A purchase's statuses and the moves between them: the rules the workflow, the results consumer
// and the store all follow, so a status never goes backwards whoever writes it.

/** Every status, in the order a purchase's timeline shows them. */
export const PURCHASE_STATUSES = ['RECEIVED', 'PENDING', 'PROCESSING', 'COMPLETED', 'REJECTED', 'EXPIRED', 'CANCELLED'] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];

/** Where a purchase ends: nothing moves it afterwards. */
export const FINAL_STATUSES: readonly PurchaseStatus[] = ['COMPLETED', 'REJECTED', 'EXPIRED', 'CANCELLED'];
export const isFinal = (s: PurchaseStatus): boolean => FINAL_STATUSES.includes(s);

/**
 * From which statuses each status may be reached. PROCESSING is fulfillment's "I started", so a
 * cancel is refused from it; an outcome may arrive before PROCESSING was applied (the reports
 * travel separately), and then PROCESSING is stamped first so the timeline keeps its order.
 */
export const ALLOWED_FROM: Record<Exclude<PurchaseStatus, 'RECEIVED'>, readonly PurchaseStatus[]> = {
  PENDING: ['RECEIVED'],
  PROCESSING: ['PENDING'],
  COMPLETED: ['PENDING', 'PROCESSING'],
  // Validation rejects from RECEIVED; fulfillment rejects from PENDING or PROCESSING.
  REJECTED: ['RECEIVED', 'PENDING', 'PROCESSING'],
  EXPIRED: ['PENDING', 'PROCESSING'],
  CANCELLED: ['RECEIVED', 'PENDING'],
};

/**
 * The statuses a purchase at `from` passes through to reach `to`: `[]` when the move is not allowed
 * (a duplicate, a late report, a cancel after fulfillment started), `['PROCESSING', to]` when an
 * outcome of fulfillment arrives while PENDING, otherwise `[to]`.
 */
export function pathTo(from: PurchaseStatus, to: Exclude<PurchaseStatus, 'RECEIVED'>): PurchaseStatus[] {
  if (!ALLOWED_FROM[to].includes(from)) return [];
  if (from === 'PENDING' && (to === 'COMPLETED' || to === 'REJECTED')) return ['PROCESSING', to];
  return [to];
}

/** Why a cancel is refused at this status (the API answers 409 with it). */
export const cancelRefusal = (s: PurchaseStatus): string =>
  s === 'PROCESSING' ? 'fulfillment has started; the purchase can no longer be cancelled' : `purchase is already ${s}`;

/**
 * What the customer reads when a purchase is refused. The operator's detail (a block's reason, a
 * risk rule) stays in the workflow's history, the timeline row and the logs.
 */
export const CUSTOMER_REJECTION = 'we could not approve this purchase';
