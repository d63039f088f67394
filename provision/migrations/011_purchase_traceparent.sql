-- Tracing (docs/tracing.md): a purchase's W3C traceparent, taken from the HTTP request that accepted
-- it, so work done later by other processes joins the purchase's trace. On the outbox row: the
-- dispatcher (the API's, or the relay's activity) sends it under that trace, and SNS → SQS carries
-- it on. On the purchase: every later status move (results, cancel, expiry by a deadline bucket
-- that other purchases share) pushes under the purchase's own trace. NULL for rows written before
-- this migration or with tracing off: their work starts traces of its own.
ALTER TABLE purchases ADD COLUMN traceparent VARCHAR(55) NULL;
ALTER TABLE purchase_outbox ADD COLUMN traceparent VARCHAR(55) NULL;
