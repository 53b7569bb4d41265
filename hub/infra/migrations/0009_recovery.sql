-- Recovery from a broker that lost its data (tansu keeps everything in memory; a wiped Kafka
-- cluster comes back with a new cluster id): what the hub must send again lives here.

-- Every upload an adapter accepted, written before the broker is asked to take it (so an
-- acknowledgement can never come first) and trimmed by the adapter once the ledger has the
-- message. After a broker reset the adapter re-produces the rows the ledger does not have;
-- the core deduplicates by message id.
CREATE TABLE ingress_journal (
    message_id   uuid PRIMARY KEY,
    node         text NOT NULL,
    key          bytea,
    headers      jsonb NOT NULL,
    payload      bytea NOT NULL,
    journaled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingress_journal_order_idx ON ingress_journal (node, journaled_at, message_id);

-- The broker the hub last saw (one row): a new cluster id, or hub topics that had to be
-- created again, starts a new epoch.
CREATE TABLE broker_epoch (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    cluster_id text NOT NULL,
    epoch      bigint NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- The last epoch each recovery role (the outbox relay, each adapter's journal) has handled.
CREATE TABLE broker_recovery (
    role         text PRIMARY KEY,
    epoch        bigint NOT NULL,
    recovered_at timestamptz NOT NULL DEFAULT now()
);
