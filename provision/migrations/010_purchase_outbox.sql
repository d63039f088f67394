-- Purchases without a workflow each (docs/purchase-journey.md). A purchase leaves through an outbox
-- row written in the transaction that accepts it (PurchaseRequested) or cancels it
-- (PurchaseCancelled, the compensation); the API's dispatcher sends the row right after the commit
-- and the relay workflow sends what it could not. `deadline_at` is set when PurchaseRequested goes
-- out; the deadline buckets expire by time slice. `journey` tells the purchases of the workflow
-- design (runs started before this migration, still signalled and cancelled through their run)
-- from those of the outbox design.
ALTER TABLE purchases
  ADD COLUMN journey VARCHAR(16) NOT NULL DEFAULT 'workflow',
  ADD COLUMN deadline_at DATETIME(3) NULL,
  ADD INDEX purchases_deadline (deadline_at);

CREATE TABLE IF NOT EXISTS purchase_outbox (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  purchase_id CHAR(36) NOT NULL,
  kind VARCHAR(24) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY purchase_outbox_once (purchase_id, kind)
);
