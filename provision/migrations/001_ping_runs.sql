-- Each run of the ping workflow leaves a row: proof that the worker reached MySQL.
CREATE TABLE IF NOT EXISTS ping_runs (
  ping_id VARCHAR(64) PRIMARY KEY,
  nonce VARCHAR(64) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);
