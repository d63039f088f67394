-- An entry is applied to its day's balance in the transaction that marks its outbox row
-- dispatched, under that row's lock, so the row itself records it: `applied_at` is set once, with
-- the first dispatch, and an operator who re-dispatches rows (dispatched_at = NULL, to publish them
-- again) does not apply them twice. The processed-entry log that recorded it before cost every
-- entry a third B-tree insert and every relay batch two more statements
-- (docs/ledger-hot-path.md, "The outbox row says it was applied").
ALTER TABLE ledger_outbox ADD COLUMN applied_at DATETIME(3) NULL;
UPDATE ledger_outbox o JOIN ledger_applied a ON a.entry_id = o.entry_id SET o.applied_at = a.applied_at;
DROP TABLE ledger_applied;
