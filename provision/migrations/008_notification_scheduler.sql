-- Notifications fire from time-bucket workflows (workflows/notification-bucket.ts) instead of one
-- workflow each. The row is the source of truth: which shard's buckets fire it, how many delivery
-- attempts it had, which bucket claimed it (SENDING) and which one scheduled or fired it (for the
-- Temporal Web UI link).
ALTER TABLE notifications
  ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0,
  ADD COLUMN attempts SMALLINT NOT NULL DEFAULT 0,
  ADD COLUMN claimed_by VARCHAR(160) NULL,
  ADD COLUMN claimed_at DATETIME(3) NULL,
  ADD COLUMN bucket_id VARCHAR(160) NULL,
  ADD COLUMN fired_by VARCHAR(160) NULL,
  ADD INDEX notifications_due (shard, status, send_at),
  ADD INDEX notifications_claim (claimed_by, status);
