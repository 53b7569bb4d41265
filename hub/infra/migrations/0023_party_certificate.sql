-- Client certificates a party authenticates with at its adapter (mTLS; issue #20 point 6),
-- beside its bearer tokens. Read by hub/infra/store/party_certs.py, written by `hub party cert`.

-- A row matches a presented certificate by its SHA-256 fingerprint (that certificate alone), or,
-- with match = 'subject', by its subject DN (every certificate the trusted client CA issues with
-- that subject, so a renewed certificate keeps working). The certificate's own validity is
-- checked at every request; not_after here is the registered copy's, shown by `hub party show`.
CREATE TABLE party_certificate (
    id           bigserial PRIMARY KEY,
    party        text NOT NULL REFERENCES party (code) ON DELETE CASCADE,
    match        text NOT NULL CHECK (match IN ('fingerprint', 'subject')),
    fingerprint  text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    subject      text NOT NULL,                -- RFC 4514, as cryptography writes it
    not_after    timestamptz NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT now()
);
-- One party per certificate, and one per subject that maps by subject.
CREATE UNIQUE INDEX party_certificate_fingerprint_idx
    ON party_certificate (fingerprint) WHERE match = 'fingerprint';
CREATE UNIQUE INDEX party_certificate_subject_idx
    ON party_certificate (subject) WHERE match = 'subject';
CREATE INDEX party_certificate_party_idx ON party_certificate (party);
