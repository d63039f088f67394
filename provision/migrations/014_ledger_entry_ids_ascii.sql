-- Ledger entry ids are UUIDs: ASCII, compared byte for byte. Under the server's default
-- utf8mb4_unicode_ci, every key comparison in the three B-trees keyed by them (the entries, the
-- outbox's unique key, the applied log) went through the Unicode collation, and a key could take
-- 144 bytes instead of 36. The order of ids does not change: lowercase hex and dashes sort the same
-- either way, so page cursors stay valid (docs/ledger-hot-path.md, "Entry ids as ASCII").
ALTER TABLE ledger_entries MODIFY entry_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE ledger_outbox MODIFY entry_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE ledger_applied MODIFY entry_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
