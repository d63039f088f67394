-- Chat messages leave through an outbox, and their delivery deadline is a column, not a workflow
-- each (docs/message-status.md). The outbox row is written by the database in the same
-- transaction as the message (a trigger, as for the ledger), so a message can never be accepted
-- without it; the dispatcher deletes it once the message is on Kafka `messages`. `deadline_at` is
-- set when the message is handed to its channel: a message held back by a Kafka outage has not
-- started its clock. The deadline buckets read `messages_deadline` by time slice.
ALTER TABLE messages
  ADD COLUMN dispatched_at DATETIME(3) NULL,
  ADD COLUMN deadline_at DATETIME(3) NULL,
  ADD INDEX messages_deadline (deadline_at);

CREATE TABLE IF NOT EXISTS message_outbox (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  message_id CHAR(36) NOT NULL UNIQUE,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);

CREATE TRIGGER IF NOT EXISTS messages_outbox AFTER INSERT ON messages FOR EACH ROW INSERT INTO message_outbox (message_id) VALUES (NEW.message_id);
