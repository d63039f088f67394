-- Who uses Tidings: a user is known once they have signed in or called the API (recorded once per
-- API process). A conversation can only be started with known users.
CREATE TABLE IF NOT EXISTS users (
  user_id VARCHAR(128) PRIMARY KEY,
  first_seen_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);
