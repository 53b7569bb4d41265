-- Productperiode conflicts (issue #19, hub/domain/sleutelmomenten/conflict.py): a 301 that
-- shortened a toewijzing to before the end of prestaties of a 323 not answered yet. One row per
-- 301, toewijzing and declaratie, written when its event signal.productperiode-conflict is
-- raised; kept for the sleutelmomenten report. No Bsn: the person is only person_key.
CREATE TABLE productperiode_conflict (
    id                 bigserial PRIMARY KEY,
    raised_at          timestamptz NOT NULL,
    domain             text NOT NULL,          -- iwmo / ijw
    gemeente           text NOT NULL,
    aanbieder          text NOT NULL,
    person_key         text NOT NULL,          -- keyed hash of the client, never the Bsn
    toewijzing_nummer  text NOT NULL,
    einddatum          date NOT NULL,          -- the new Einddatum the 301 gave
    previous_einddatum date,                   -- the one before (NULL: it had none)
    declaratie         text NOT NULL,          -- Identificatie of the 323
    referentie_nummers text[] NOT NULL,        -- its prestaties ending after einddatum
    periode_begin      date NOT NULL,          -- earliest ProductPeriode Begindatum of them
    periode_eind       date NOT NULL,          -- latest ProductPeriode Einddatum of them
    relation           text NOT NULL CHECK (relation IN ('partly', 'wholly')),
    message_id         uuid NOT NULL,          -- the 301
    -- A redelivered 301 raises nothing twice. The toewijzing is part of the key: one 301 may
    -- shorten several toewijzingen of one client, all declared in the same monthly 323.
    UNIQUE (message_id, declaratie, toewijzing_nummer)
);
-- The report: conflicts by when they were raised, per gemeente.
CREATE INDEX productperiode_conflict_raised ON productperiode_conflict (raised_at, gemeente);
