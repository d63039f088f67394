-- Tracing (docs/tracing.md): the W3C traceparent of the request that accepted an event or scheduled
-- a notification, as purchases keep theirs (011). Its trace id is what the API returns as `traceId`
-- and the web app links to its trace view, also for items listed in another tab or after a reload.
-- NULL for rows written before this migration or with tracing off.
ALTER TABLE events ADD COLUMN traceparent VARCHAR(55) NULL;
ALTER TABLE notifications ADD COLUMN traceparent VARCHAR(55) NULL;
