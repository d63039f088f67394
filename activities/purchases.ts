import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Pool } from 'mysql2/promise';
import { PURCHASE_INVALID, type PurchaseActivities, type PurchaseMessage, type PurchaseRelayActivities } from '../contracts/purchase';
import { ImpossibleTermsError, quote, type Quote } from '../domain/purchase-quote';
import type { Publisher } from '../gateway/publisher';
import { topicArn } from '../platform/clients/aws';
import type { Config } from '../platform/config';
import { namesOf } from '../platform/names';
import { movePurchaseAndPush, startAcceptedPurchases } from '../services/purchase';
import { blockReason, getProduct } from '../stores/purchases';

export interface PurchaseDeps {
  config: Config;
  sns: SNSClient;
  mysql: Pool;
  publisher: () => Publisher;
  temporal: () => Promise<Client>;
}

/** The purchase workflow's steps and the outbox relay's, all run as local activities. */
export function createPurchaseActivities(deps: PurchaseDeps): PurchaseActivities & PurchaseRelayActivities {
  return {
    /** Product exists, terms unchanged and possible, customer not blocked; a failure here is final. */
    async validatePurchase({ userId, quote: q }: { userId: string; quote: Quote }): Promise<void> {
      const product = await getProduct(deps.mysql, q.productId);
      if (!product) throw ApplicationFailure.nonRetryable(`unknown product ${q.productId}`, PURCHASE_INVALID);
      try {
        if (quote(product, q).totalCents !== q.totalCents) throw ApplicationFailure.nonRetryable('the product terms changed since the quote', PURCHASE_INVALID);
      } catch (err) {
        if (err instanceof ImpossibleTermsError) throw ApplicationFailure.nonRetryable(err.message, PURCHASE_INVALID);
        throw err;
      }
      const blocked = await blockReason(deps.mysql, userId);
      if (blocked) throw ApplicationFailure.nonRetryable(`customer is blocked: ${blocked}`, PURCHASE_INVALID);
    },

    async movePurchase({ purchaseId, to, detail }) {
      const r = await movePurchaseAndPush(deps, { purchaseId, to, ...(detail === undefined ? {} : { detail }) });
      return { moved: r.moved, status: r.status, stamped: r.hops.map((h) => ({ status: h.status, at: new Date(h.at).toISOString() })) };
    },

    /** PurchaseRequested or PurchaseCancelled to its SNS topic (both reach `purchase-processing`). */
    async publishPurchaseMessage(message: PurchaseMessage): Promise<string> {
      const topics = namesOf(deps.config).snsTopics;
      const topic = message.type === 'PurchaseRequested' ? topics.purchaseRequested : topics.purchaseCancelled;
      const { MessageId } = await deps.sns.send(new PublishCommand({ TopicArn: topicArn(deps.config, topic.name), Message: JSON.stringify(message) }));
      return MessageId ?? '';
    },

    async startAcceptedPurchases({ limit, minAgeMs }) {
      return startAcceptedPurchases(deps, { olderThan: Date.now() - minAgeMs, limit });
    },
  };
}
