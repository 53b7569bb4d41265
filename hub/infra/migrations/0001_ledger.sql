-- The ledger: every message the hub accepted, and where it was delivered.
CREATE TABLE message (
    id               uuid PRIMARY KEY,            -- upload id, stable across every hop
    received_at      timestamptz NOT NULL,        -- when the adapter accepted it
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    source_node      text NOT NULL,
    submitted_by     text NOT NULL,               -- authenticated party
    namespace        text,
    bericht_code     text,
    afzender         text,
    ontvanger        text,
    identificatie    text,
    status           text NOT NULL,
    payload          bytea NOT NULL,
    payload_sha256   bytea NOT NULL,
    ingress_partition integer,
    ingress_offset   bigint
);
CREATE INDEX message_identificatie_idx ON message (afzender, bericht_code, identificatie);

-- One row per message per receiving party: the party's inbox.
CREATE TABLE delivery (
    id            bigserial PRIMARY KEY,
    message_id    uuid NOT NULL REFERENCES message (id),
    node          text NOT NULL,
    party         text NOT NULL,
    available_at  timestamptz NOT NULL DEFAULT now(),
    downloaded_at timestamptz,
    acked_at      timestamptz,
    UNIQUE (message_id, party)
);
CREATE INDEX delivery_inbox_idx ON delivery (node, party) WHERE acked_at IS NULL;
