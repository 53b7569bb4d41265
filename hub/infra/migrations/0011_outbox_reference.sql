-- The outbox stops copying what the ledger already holds. Nearly every row the core queues
-- (the egress of an accepted message, a hub-built retour, a WMO405, a dead letter, a parked
-- message) carries the payload of a message row written in the same transaction: the row
-- now names that message (payload_of) and leaves payload NULL, so each message's bytes are
-- written, logged and fsynced once instead of twice. Events and anything else keep their
-- own payload. The retention purge keeps a payload while an outbox row names it.
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN payload_of uuid;
ALTER TABLE outbox ADD CONSTRAINT outbox_has_payload
    CHECK (payload IS NOT NULL OR payload_of IS NOT NULL);

-- A row the core is publishing itself, straight after its commit (hub.outbox.Relay.offer),
-- is left alone by every relay's claim until hold_until: only a row whose direct publish
-- never finished (a crash, a failed send) is claimed and published from here.
ALTER TABLE outbox ADD COLUMN hold_until timestamptz;

-- What a relay would publish: the outbox with referenced payloads filled in (operators and
-- tests read this; the relay's claim joins the same way).
CREATE VIEW outbox_resolved AS
    SELECT o.id, o.topic, o.key, coalesce(o.payload, m.payload) AS payload, o.headers,
           o.payload_of, o.hold_until, o.created_at
    FROM outbox o LEFT JOIN message m ON m.id = o.payload_of;
