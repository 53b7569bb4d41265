-- The routing core: verdicts in the ledger, findings, retour links and deadlines, the
-- transactional outbox and the dead-letter record.

ALTER TABLE message
    ADD COLUMN message_type  text,                 -- catalogue name, e.g. WMO305
    ADD COLUMN standard      text,
    ADD COLUMN release       text,
    ADD COLUMN direction     text,                 -- heen / retour / antwoord
    ADD COLUMN sender        text,                 -- sending party (Ontvanger for a retour)
    ADD COLUMN receiver      text,                 -- receiving party
    ADD COLUMN receiver_node text,
    ADD COLUMN person_key    text,                 -- keyed hash of the BSN, never the BSN
    ADD COLUMN retourcodes   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN answers       uuid REFERENCES message (id),   -- a retour: its heenbericht
    ADD COLUMN built_by_hub  boolean NOT NULL DEFAULT false,
    ADD COLUMN retour_due    timestamptz,          -- a routed heenbericht: answer deadline
    ADD COLUMN retour_id     uuid,                 -- the retour that answered it
    ADD COLUMN retour_at     timestamptz,
    ADD COLUMN overdue_at    timestamptz;          -- when the overdue event was raised

CREATE INDEX message_heen_lookup_idx ON message (sender, bericht_code, identificatie);
CREATE INDEX message_overdue_idx ON message (retour_due)
    WHERE retour_due IS NOT NULL AND retour_id IS NULL AND overdue_at IS NULL;

CREATE TABLE finding (
    message_id uuid NOT NULL REFERENCES message (id),
    position   integer NOT NULL,
    rule       text NOT NULL,
    retourcode text NOT NULL,
    level      smallint NOT NULL,
    location   text NOT NULL,
    sentence   text NOT NULL,
    PRIMARY KEY (message_id, position)
);

-- Everything the core must send, written in the same transaction as the ledger; the relay
-- publishes and deletes rows. A crash between publish and delete republishes (at least
-- once); receivers deduplicate by hub-message-id / event id.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    topic      text NOT NULL,
    key        bytea,
    payload    bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dead_letter (
    id          bigserial PRIMARY KEY,
    message_id  uuid,
    stage       text NOT NULL,
    error       text NOT NULL,
    reason      text NOT NULL,
    origin      text NOT NULL,                   -- topic/partition/offset
    headers     jsonb NOT NULL DEFAULT '{}',
    payload     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz
);

CREATE SEQUENCE retour_identificatie_seq;
