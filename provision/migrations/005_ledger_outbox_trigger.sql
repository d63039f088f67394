-- The outbox row is written by the database in the same transaction as the entry: one statement
-- per post (a round trip instead of four), and no code path can insert an entry without its row.
CREATE TRIGGER IF NOT EXISTS ledger_entries_outbox AFTER INSERT ON ledger_entries FOR EACH ROW INSERT INTO ledger_outbox (entry_id) VALUES (NEW.entry_id);
