-- Push delivery (issue #20 point 3): a party's HTTPS endpoint, and the push state of each of
-- its deliveries (adapters/push.py pushes, hub/infra/store/push.py holds the SQL).

-- One endpoint per party. The secret signs every push (HMAC-SHA256), so it cannot be stored
-- as a digest the way tokens are: it is sealed with AES-256-GCM under a key derived from
-- HUB_PERSON_KEY_SECRET (hub/infra/store/push.py), the party code as associated data, so a
-- dump of the database alone does not give it away nor lets a sealed secret move to another
-- party.
CREATE TABLE push_endpoint (
    party         text PRIMARY KEY REFERENCES party (code) ON DELETE CASCADE,
    url           text NOT NULL CHECK (url ~ '^https?://'),
    secret_sealed bytea NOT NULL CHECK (length(secret_sealed) > 28),  -- nonce, tag, secret
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per delivery to a party with an endpoint. state: pending (due at next_at; a claim
-- moves next_at past the attempt's timeout, so a second adapter replica does not push it at
-- the same time), delivered (a 2xx), failed (given up: HUB_PUSH_GIVE_UP_S passed, or a 410).
CREATE TABLE push_delivery (
    delivery_id  bigint PRIMARY KEY REFERENCES delivery (id) ON DELETE CASCADE,
    message_id   uuid NOT NULL,
    node         text NOT NULL,
    party        text NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    next_at      timestamptz NOT NULL DEFAULT now(),
    last_error   text,                                 -- e.g. 'timeout', 'status 503'
    done_at      timestamptz
);
CREATE INDEX push_delivery_due_idx ON push_delivery (node, next_at) WHERE state = 'pending';
CREATE INDEX push_delivery_party_idx ON push_delivery (party) WHERE state = 'pending';

-- A delivery to a party with an endpoint gets its push row in the transaction that puts it in
-- the inbox (adapters/delivery.py writes the inbox; the push is its consequence), so no push
-- is lost between the two and no loop has to scan the inboxes for deliveries without one. One
-- statement-level trigger per insert batch: one join, not one lookup per row.
CREATE FUNCTION push_delivery_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO push_delivery (delivery_id, message_id, node, party)
    SELECT n.id, n.message_id, n.node, n.party
    FROM inserted n JOIN push_endpoint e ON e.party = n.party
    ON CONFLICT (delivery_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER push_delivery_enqueue AFTER INSERT ON delivery
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION push_delivery_enqueue();
