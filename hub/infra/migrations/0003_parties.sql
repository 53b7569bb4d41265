-- The party registry (hub/parties.py) and the bearer tokens parties authenticate with.

-- Who may use the hub and through which node. Code shapes and node/kind pairs are validated
-- in hub/parties.py; the checks here only keep obviously broken rows out.
CREATE TABLE party (
    code        text PRIMARY KEY,             -- CBS gemeentecode, AGB code or the CAK code
    name        text NOT NULL,
    node        text NOT NULL CHECK (node IN ('ggk', 'vecozo')),
    kind        text NOT NULL CHECK (kind IN ('gemeente', 'aanbieder', 'cak')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (code ~ '^([0-9]{4}|[0-9]{8})$')
);

-- Delegations: `party` may upload messages whose sending party is `sender`
-- (an indiener under a toestemmingsverklaring).
CREATE TABLE party_delegation (
    party   text NOT NULL REFERENCES party (code) ON DELETE CASCADE,
    sender  text NOT NULL REFERENCES party (code) ON DELETE CASCADE,
    PRIMARY KEY (party, sender),
    CHECK (party <> sender)
);

-- Bearer tokens. Only the SHA-256 digest of a token is stored, never the token itself.
-- A token authenticates while revoked_at is NULL or still in the future (a rotation's grace
-- period) and expires_at is NULL or in the future.
CREATE TABLE party_token (
    id           bigserial PRIMARY KEY,
    party        text NOT NULL REFERENCES party (code) ON DELETE CASCADE,
    token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    label        text NOT NULL DEFAULT '',    -- who made it: 'cli', 'demo', ...
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz
);
-- Authentication probes the UNIQUE index on token_sha256; this one serves revoke and list.
CREATE INDEX party_token_party_idx ON party_token (party);
