-- What a release freeze leaves unsent, read in proportion to what there is (issue #22,
-- docs/scale.md). While a freeze is under way the core counts the old release's routed
-- messages that are in no inbox yet (undelivered) or in one but not downloaded. Both were
-- counted over every routed message of the release, a delivery probe each: two years of a
-- region is millions of rows, tens of seconds a count.
--
-- * Undelivered: a message's first delivery row is written by its receiving adapter, and
--   nothing in `message` changes then, so no index of `message` can hold just the
--   undelivered ones. `awaiting_delivery` does: a routed message (accepted, with a receiver
--   node) gets a row when it is written or becomes routed (a parked one released at the
--   cutover), and its first delivery removes it. Statement-level triggers with transition
--   tables: one join per COPY or insert, not one function call per row; the UPDATE trigger
--   fires only when the status or receiver node is set, and then only for rows that became
--   routed (a purge, a retour link or an overdue flag never calls it).
-- * Not downloaded: a partial index on the deliveries neither downloaded nor acknowledged.
--   A delivery enters it when written and leaves when fetched.
CREATE TABLE awaiting_delivery (
    message_id uuid PRIMARY KEY  -- no foreign key: its rows come from `message` itself
);

CREATE FUNCTION awaiting_delivery_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO awaiting_delivery (message_id)
    SELECT n.id FROM written n
    WHERE n.status = 'accepted' AND n.receiver_node IS NOT NULL
    ON CONFLICT (message_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER message_awaiting_delivery AFTER INSERT ON message
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION awaiting_delivery_written();

CREATE FUNCTION awaiting_delivery_routed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO awaiting_delivery (message_id)
    SELECT NEW.id
    WHERE NOT EXISTS (SELECT 1 FROM delivery d WHERE d.message_id = NEW.id)
    ON CONFLICT (message_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER message_routed AFTER UPDATE OF status, receiver_node ON message
    FOR EACH ROW WHEN (NEW.status = 'accepted' AND NEW.receiver_node IS NOT NULL
                       AND (OLD.status IS DISTINCT FROM 'accepted' OR OLD.receiver_node IS NULL))
    EXECUTE FUNCTION awaiting_delivery_routed();

CREATE FUNCTION awaiting_delivery_delivered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM awaiting_delivery a USING delivered n WHERE a.message_id = n.message_id;
    RETURN NULL;
END $$;
CREATE TRIGGER delivery_ends_awaiting AFTER INSERT ON delivery
    REFERENCING NEW TABLE AS delivered FOR EACH STATEMENT
    EXECUTE FUNCTION awaiting_delivery_delivered();

CREATE INDEX delivery_pending_idx ON delivery (message_id)
    WHERE downloaded_at IS NULL AND acked_at IS NULL;

-- What is on its way now. Retention keeps a message's payload until it reached an inbox
-- (hub/infra/store/retention.py), so only unpurged messages can be undelivered: the
-- retention window is read once here, not the ledger.
INSERT INTO awaiting_delivery (message_id)
SELECT m.id FROM message m
WHERE m.purged_at IS NULL AND m.status = 'accepted' AND m.receiver_node IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.message_id = m.id);
