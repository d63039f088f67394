-- One row per outbox relay: a batch locks it (FOR UPDATE, held to its commit) and then reads the
-- pending outbox rows without locking them. A second relay running at the same time (an activity
-- retried while its first attempt still runs) waits for that commit and then sees those rows
-- dispatched, so nothing is applied twice. Locking each claimed row instead cost MariaDB about
-- 12 µs of CPU per entry (docs/ledger-hot-path.md, "One lock per batch").
CREATE TABLE ledger_relay_lock (
  name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin PRIMARY KEY
);
