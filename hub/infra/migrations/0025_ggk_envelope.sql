-- The GGk door (issue #21; adapters/ggkdoor.py, SQL in hub/infra/store/ggk_envelopes.py).

-- Every StUF-GGk envelope with its message: 'in' (a party's ggk_Di01/ggk_Du01 the door took,
-- with the Bv03 it was answered, so a resend of the same envelope gets the same receipt and is
-- not processed twice) and 'out' (the envelope the hub delivers a message in, its
-- referentienummer kept across retries). A Du01's crossRefnummer is the referentienummer of the
-- Di01 of the heenbericht it answers (message.answers). No foreign key to message: an envelope
-- taken in is recorded before the core writes the ledger. No personal data: codes and
-- reference numbers only (the message itself is in the ledger).
CREATE TABLE ggk_envelope (
    message_id        uuid NOT NULL,
    direction         text NOT NULL CHECK (direction IN ('in', 'out')),
    party             text NOT NULL,      -- in: the sending caller; out: the receiving party
    referentienummer  text NOT NULL,
    berichtcode       text NOT NULL CHECK (berichtcode IN ('Di01', 'Du01')),
    digest            bytea,              -- in: SHA-256 of the message the envelope carried
    receipt           bytea,              -- in: the Bv03 the door answered (a SOAP response)
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, direction)
);
CREATE INDEX ggk_envelope_reference_idx ON ggk_envelope (referentienummer);

-- A push endpoint's kind: 'http' (the raw message, signed: issue #20) or 'ggk-soap' (the
-- message in a ggk_Di01/ggk_Du01 SOAP envelope, delivered until the endpoint answers a Bv03).
ALTER TABLE push_endpoint ADD COLUMN kind text NOT NULL DEFAULT 'http'
    CHECK (kind IN ('http', 'ggk-soap'));
