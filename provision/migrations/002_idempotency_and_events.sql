-- Idempotency-Key → the resource the first request created, with a hash of that request's body,
-- so a retry gets the same answer and a reused key with another body is refused (409).
CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope VARCHAR(32) NOT NULL,
  principal VARCHAR(128) NOT NULL,
  idem_key VARCHAR(128) NOT NULL,
  request_hash CHAR(64) NOT NULL,
  resource_id VARCHAR(64) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (scope, principal, idem_key)
);

-- Event fan-out: what was accepted, and the trail of where it went.
CREATE TABLE IF NOT EXISTS events (
  event_id CHAR(36) PRIMARY KEY,
  type VARCHAR(100) NOT NULL,
  payload JSON NOT NULL,
  user_id VARCHAR(128) NOT NULL,
  status VARCHAR(16) NOT NULL,
  accepted_at DATETIME(3) NOT NULL,
  finished_at DATETIME(3) NULL,
  KEY events_type_accepted (type, accepted_at),
  KEY events_accepted (accepted_at)
);

CREATE TABLE IF NOT EXISTS event_trail (
  event_id CHAR(36) NOT NULL,
  step VARCHAR(32) NOT NULL,
  at DATETIME(3) NOT NULL,
  detail VARCHAR(255) NULL,
  PRIMARY KEY (event_id, step)
);

-- Consumer B's and consumer C's own stores (separate tables, as separate services would own them).
-- `deliveries` counts how often the event arrived; the row exists once.
CREATE TABLE IF NOT EXISTS event_store_b (
  event_id CHAR(36) PRIMARY KEY,
  type VARCHAR(100) NOT NULL,
  payload JSON NOT NULL,
  source VARCHAR(16) NOT NULL,
  deliveries INT NOT NULL DEFAULT 1,
  stored_at DATETIME(3) NOT NULL
);

CREATE TABLE IF NOT EXISTS event_store_c (
  event_id CHAR(36) PRIMARY KEY,
  type VARCHAR(100) NOT NULL,
  payload JSON NOT NULL,
  source VARCHAR(16) NOT NULL,
  deliveries INT NOT NULL DEFAULT 1,
  stored_at DATETIME(3) NOT NULL
);
