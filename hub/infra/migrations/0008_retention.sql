-- Payload retention: a message's payload (which carries the BSN and care data) is emptied once
-- it is no longer needed and older than HUB_PAYLOAD_RETENTION_HOURS; the audit metadata
-- (parties, times, type, Identificatie, verdict, findings, payload_sha256) stays.
ALTER TABLE message ADD COLUMN purged_at timestamptz;
ALTER TABLE dead_letter ADD COLUMN purged_at timestamptz;
CREATE INDEX message_purge_idx ON message (received_at) WHERE purged_at IS NULL;
