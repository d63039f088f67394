-- Purchase journey: the catalogue the quotes come from, blocked customers, the purchases with
-- their timeline, and the contracts fulfillment effects (with the stock it reserves).
CREATE TABLE IF NOT EXISTS products (
  product_id VARCHAR(64) PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  price_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL DEFAULT 'BRL',
  max_installments INT NOT NULL,
  -- monthly interest in basis points (199 = 1.99% a month), charged when paying in installments
  monthly_rate_bp INT NOT NULL,
  min_amount_cents BIGINT NOT NULL,
  max_amount_cents BIGINT NOT NULL,
  stock INT NOT NULL
);

INSERT IGNORE INTO products (product_id, name, price_cents, max_installments, monthly_rate_bp, min_amount_cents, max_amount_cents, stock) VALUES
  ('insurance-home', 'Home insurance, yearly', 48000, 12, 0, 48000, 480000, 1000000),
  ('loan-personal', 'Personal loan, per 1,000', 100000, 24, 249, 100000, 5000000, 1000000),
  ('phone-x', 'Phone X', 399900, 10, 199, 399900, 1199700, 1000000),
  ('gift-card-100', 'Gift card 100', 10000, 1, 0, 10000, 100000, 1000000);

CREATE TABLE IF NOT EXISTS customer_blocks (
  user_id VARCHAR(128) PRIMARY KEY,
  reason VARCHAR(255) NOT NULL,
  blocked_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);

CREATE TABLE IF NOT EXISTS purchases (
  purchase_id CHAR(36) PRIMARY KEY,
  user_id VARCHAR(128) NOT NULL,
  product_id VARCHAR(64) NOT NULL,
  quantity INT NOT NULL,
  installments INT NOT NULL,
  amount_cents BIGINT NOT NULL,
  total_cents BIGINT NOT NULL,
  installment_cents BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  reason VARCHAR(255) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY purchases_user (user_id, created_at)
);

CREATE TABLE IF NOT EXISTS purchase_timeline (
  purchase_id CHAR(36) NOT NULL,
  status VARCHAR(16) NOT NULL,
  at DATETIME(3) NOT NULL,
  detail VARCHAR(255) NULL,
  PRIMARY KEY (purchase_id, status)
);

-- One row per purchase fulfillment touched. CANCELLED with quantity 0 is a tombstone: the
-- cancellation arrived first, so a late request must not contract.
CREATE TABLE IF NOT EXISTS purchase_contracts (
  purchase_id CHAR(36) PRIMARY KEY,
  product_id VARCHAR(64) NOT NULL,
  quantity INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  contracted_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  cancelled_at DATETIME(3) NULL
);
