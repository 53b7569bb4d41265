-- Intermediaries and the standards each party may exchange (hub/domain/parties.py, issue #18).

-- An intermediary (a software house or other tussenpartij) is a party kind of its own: no
-- message carries its code, so its code starts with a letter and can never be read as a
-- gemeentecode or an AGB code. Its parties are its rows in party_delegation (the parties that
-- authorised it), the same table that holds an indiener's toestemmingsverklaringen.
ALTER TABLE party DROP CONSTRAINT party_kind_check;
ALTER TABLE party DROP CONSTRAINT party_code_check;
ALTER TABLE party ADD CONSTRAINT party_kind_check
    CHECK (kind IN ('gemeente', 'aanbieder', 'cak', 'intermediary'));
ALTER TABLE party ADD CONSTRAINT party_code_check CHECK (
    CASE WHEN kind = 'intermediary' THEN code ~ '^[A-Za-z][A-Za-z0-9._-]{1,39}$'
         ELSE code ~ '^([0-9]{4}|[0-9]{8})$' END
);

-- The standards a party lists (iwmo, ijw, ieb); empty: what its kind exchanges in the chain.
ALTER TABLE party ADD COLUMN standards text[] NOT NULL DEFAULT '{}'
    CHECK (standards <@ ARRAY['iwmo', 'ijw', 'ieb']::text[]);
