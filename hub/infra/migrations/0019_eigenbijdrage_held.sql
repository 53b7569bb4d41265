-- The iEb limits (issue #18, hub/domain/eigenbijdrage/limits.py): notice entries the hub did
-- not send because they lie beyond a limit, listed by `hub eb held` for the gemeente to handle
-- by hand. Only person_key, never a Bsn, as in 0005_eigenbijdrage.sql.

-- A period whose start was held was never told to the CAK by the hub: the gemeente handles it
-- by hand, so every later entry on its MeldingID is held too. Existing rows: false (told).
ALTER TABLE eb_melding ADD COLUMN held boolean NOT NULL DEFAULT false;

CREATE TABLE eb_held (
    id                bigserial PRIMARY KEY,
    gemeente          text NOT NULL,
    person_key        text NOT NULL,
    route             text NOT NULL CHECK (route IN ('405', '407')),
    reason            text NOT NULL CHECK (reason IN ('start', 'correction', 'held-melding')),
    melding_id        uuid NOT NULL,
    status            text NOT NULL CHECK (status IN ('1', '2', '3')),
    begindatum        date NOT NULL,
    einddatum         date,
    limit_months      integer NOT NULL,
    cutoff            date,
    source_message_id uuid NOT NULL,     -- the 305/307 that caused it
    held_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_message_id, route, melding_id)
);
CREATE INDEX eb_held_gemeente_idx ON eb_held (gemeente, held_at);
