-- Payloads are stored out of line without compression. PostgreSQL compresses any value over
-- ~2 KB with pglz by default, and a typical 3 KB message would be compressed twice (ledger and
-- outbox) on the core's hot path: measured here at ~17 µs of server time per row, ~40 % of the
-- cost of the row. An outbox row lives for milliseconds, and ledger payloads are purged after
-- the retention period (0008), so disk saved by compression is not worth that CPU.
ALTER TABLE outbox ALTER COLUMN payload SET STORAGE EXTERNAL;
ALTER TABLE message ALTER COLUMN payload SET STORAGE EXTERNAL;
