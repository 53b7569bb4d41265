-- An inbox listing reads what waits, not a party's whole history (issue #22, docs/scale.md).
-- A delivery stays listed until its party acknowledges it, or until retention purged its
-- message's payload (the listing joins `message` and leaves those out). Retention purges a
-- message once every delivery of it was downloaded or acknowledged, so a party that
-- downloads without acknowledging (allowed, as at the VECOZO node; a push marks a delivery
-- downloaded, not acknowledged) kept every delivery it ever had in `delivery_inbox_idx`, and
-- each listing read them all, with a probe of each one's message, to find what still waits:
-- two years of a gemeente's messages on every poll. The purge now marks the deliveries of
-- what it purged (`payload_purged`, in its own statement), and the inbox index holds the
-- deliveries neither acknowledged nor purged.
ALTER TABLE delivery ADD COLUMN payload_purged boolean NOT NULL DEFAULT false;

UPDATE delivery d SET payload_purged = true
FROM message m
WHERE m.id = d.message_id AND d.acked_at IS NULL AND m.purged_at IS NOT NULL;

CREATE INDEX delivery_waiting_idx ON delivery (node, party, id)
    WHERE acked_at IS NULL AND NOT payload_purged;
DROP INDEX delivery_inbox_idx;
