import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'mysql2/promise';
import { ImpossibleTermsError, quote, type Quote } from '../domain/purchase-quote';
import type { Publisher } from '../gateway/publisher';
import { topicArn } from '../platform/clients/aws';
import type { Config } from '../platform/config';
import { namesOf } from '../platform/names';
import { blockReason, getProduct, recordStatus, type PurchaseStatus } from '../stores/purchases';
import { PURCHASE_INVALID, type PurchaseActivities, type PurchaseMessage, type PurchaseTimerActivities } from '../contracts/purchase';
import type { Client } from '@temporalio/client';
import { dispatchPurchases, expireDuePurchases } from '../services/purchase-delivery';

export interface PurchaseDeps {
  config: Config;
  sns: SNSClient;
  mysql: Pool;
  publisher: () => Publisher;
  temporal: () => Promise<Client>;
}

/**
 * Activities of the purchase journey: the timers of the outbox design (local activities of the
 * deadline buckets and the relay), and the steps of the one-workflow-per-purchase design, kept
 * registered so that runs started before the redesign finish.
 */
export function createPurchaseActivities(deps: PurchaseDeps): PurchaseActivities & PurchaseTimerActivities {
  const delivery = { ...deps, sns: () => deps.sns };
  return {
    async expirePurchases({ from, to, limit }) {
      const { hops, more } = await expireDuePurchases(delivery, { from, to, limit });
      return { expired: hops.map((h) => h.purchaseId), more };
    },
    async relayPurchaseOutbox({ limit, minAgeMs }) {
      const { claimed } = await dispatchPurchases(delivery, { olderThan: Date.now() - minAgeMs, limit });
      return { claimed };
    },

    /** Product exists, terms possible, customer not blocked; a failure here is final. */
    async validatePurchase({ userId, quote: q }: { userId: string; quote: Quote }): Promise<void> {
      const product = await getProduct(deps.mysql, q.productId);
      if (!product) throw ApplicationFailure.nonRetryable(`unknown product ${q.productId}`, PURCHASE_INVALID);
      try {
        const fresh = quote(product, q);
        if (fresh.totalCents !== q.totalCents) throw ApplicationFailure.nonRetryable('the product terms changed since the quote', PURCHASE_INVALID);
      } catch (err) {
        if (err instanceof ImpossibleTermsError) throw ApplicationFailure.nonRetryable(err.message, PURCHASE_INVALID);
        throw err;
      }
      const blocked = await blockReason(deps.mysql, userId);
      if (blocked) throw ApplicationFailure.nonRetryable(`customer is blocked: ${blocked}`, PURCHASE_INVALID);
    },

    /** Persists the status (timeline stamped once) and tells the user, once per status. */
    async recordPurchaseStatus(args: { purchaseId: string; userId: string; status: PurchaseStatus; detail?: string }): Promise<string> {
      const at = await recordStatus(deps.mysql, args.purchaseId, args.status, args.detail);
      await deps
        .publisher()
        .publish(
          `user:${args.userId}`,
          'purchase.status',
          { purchaseId: args.purchaseId, status: args.status, detail: args.detail ?? null, at },
          { countConnections: false, dedupeId: `purchase:${args.purchaseId}:${args.status}` },
        );
      return at;
    },

    /** PurchaseRequested or PurchaseCancelled to its SNS topic (both reach `purchase-processing`). */
    async publishPurchaseMessage(message: PurchaseMessage): Promise<string> {
      const topic = message.type === 'PurchaseRequested' ? namesOf(deps.config).snsTopics.purchaseRequested : namesOf(deps.config).snsTopics.purchaseCancelled;
      const { MessageId } = await deps.sns.send(new PublishCommand({ TopicArn: topicArn(deps.config, topic.name), Message: JSON.stringify(message) }));
      return MessageId ?? '';
    },
  };
}

export type { PurchaseActivities };
