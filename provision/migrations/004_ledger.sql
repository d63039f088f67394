-- Cash-flow ledger: entries and their outbox row are written in one transaction; the relay
-- applies each entry to its day's balance exactly once (ledger_applied + upsert, one transaction).
CREATE TABLE IF NOT EXISTS merchants (
  merchant_id VARCHAR(128) PRIMARY KEY,
  timezone VARCHAR(64) NOT NULL DEFAULT 'UTC'
);

CREATE TABLE IF NOT EXISTS ledger_entries (
  entry_id CHAR(36) PRIMARY KEY,
  merchant_id VARCHAR(128) NOT NULL,
  type VARCHAR(6) NOT NULL,
  amount_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  description VARCHAR(200) NOT NULL,
  occurred_on DATE NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY ledger_entries_day (merchant_id, occurred_on, created_at)
);

CREATE TABLE IF NOT EXISTS ledger_outbox (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  entry_id CHAR(36) NOT NULL UNIQUE,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  dispatched_at DATETIME(3) NULL,
  KEY ledger_outbox_pending (dispatched_at, id)
);

CREATE TABLE IF NOT EXISTS ledger_applied (
  entry_id CHAR(36) PRIMARY KEY,
  applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);

CREATE TABLE IF NOT EXISTS daily_balances (
  merchant_id VARCHAR(128) NOT NULL,
  day DATE NOT NULL,
  currency CHAR(3) NOT NULL,
  credits_cents BIGINT NOT NULL DEFAULT 0,
  debits_cents BIGINT NOT NULL DEFAULT 0,
  entry_count INT NOT NULL DEFAULT 0,
  close_scheduled TINYINT NOT NULL DEFAULT 0,
  closed_at DATETIME(3) NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (merchant_id, day, currency)
);
