-- Eigen bijdrage (hub/eigenbijdrage, handlers/eigenbijdrage.py): the WMO405/407 notices the hub
-- derives from accepted 305/307 and sends to the CAK on a gemeente's behalf.
-- A person is only ever person_key (hub/privacy.py): no Bsn, name or birth date is stored here;
-- a notice's payload (which carries the Bsn, as every message does) lives in the ledger only.
-- Optional key parts are '' (never NULL), as in the history tables.

-- The counting lines per person and route ('405' abonnementstarief, '407' beschermd wonen),
-- across aanbieders. Inserted once; StatusAanlevering 3 only sets deleted (one-way), so writing
-- the same line again changes nothing.
CREATE TABLE eb_start (
    gemeente          text NOT NULL,
    person_key        text NOT NULL,
    route             text NOT NULL CHECK (route IN ('405', '407')),
    aanbieder         text NOT NULL,
    toewijzing_nummer text NOT NULL,
    product_categorie text NOT NULL,     -- as in the line's key ('' when the line has no Product)
    product_code      text NOT NULL,
    begindatum        date NOT NULL,
    deleted           boolean NOT NULL DEFAULT false,
    message_id        uuid NOT NULL,     -- the 305 that delivered it
    deleted_by        uuid,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gemeente, person_key, route, aanbieder, toewijzing_nummer, product_categorie,
                 product_code, begindatum)
);

CREATE TABLE eb_stop (
    gemeente          text NOT NULL,
    person_key        text NOT NULL,
    route             text NOT NULL CHECK (route IN ('405', '407')),
    aanbieder         text NOT NULL,
    toewijzing_nummer text NOT NULL,
    product_categorie text NOT NULL,
    product_code      text NOT NULL,
    begindatum        date NOT NULL,
    reden_beeindiging text NOT NULL,
    einddatum         date NOT NULL,
    deleted           boolean NOT NULL DEFAULT false,
    message_id        uuid NOT NULL,     -- the 307 that delivered it
    deleted_by        uuid,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gemeente, person_key, route, aanbieder, toewijzing_nummer, product_categorie,
                 product_code, begindatum, reden_beeindiging, einddatum)
);

-- What the CAK was told: one eigen-bijdrageperiode per MeldingID, as the last notice left it.
CREATE TABLE eb_melding (
    melding_id  uuid PRIMARY KEY,
    gemeente    text NOT NULL,
    person_key  text NOT NULL,
    route       text NOT NULL CHECK (route IN ('405', '407')),
    begindatum  date NOT NULL,
    einddatum   date,                    -- NULL: the period is open
    retracted   boolean NOT NULL DEFAULT false,
    created_by  uuid NOT NULL,           -- the source message of the notice that opened it
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX eb_melding_person_idx ON eb_melding (gemeente, person_key);

-- Every notice sent: one WMO405/407 per person, route and source message (the unique key makes
-- a second notice for the same source impossible), and what the CAK answered.
CREATE TABLE eb_notice (
    message_id        uuid PRIMARY KEY REFERENCES message (id) DEFERRABLE INITIALLY DEFERRED,
    gemeente          text NOT NULL,
    person_key        text NOT NULL,
    route             text NOT NULL CHECK (route IN ('405', '407')),
    identificatie     text NOT NULL,
    source_message_id uuid NOT NULL,
    entries           jsonb NOT NULL,    -- [{melding_id, status, begindatum, einddatum}]
    created_at        timestamptz NOT NULL DEFAULT now(),
    outcome           text NOT NULL DEFAULT 'sent' CHECK (outcome IN ('sent', 'accepted', 'rejected')),
    retour_id         uuid,
    retourcodes       text[] NOT NULL DEFAULT '{}',
    answered_at       timestamptz,
    UNIQUE (source_message_id, route)
);
CREATE INDEX eb_notice_person_idx ON eb_notice (gemeente, person_key);

-- Header Identificatie of the notices: 'EB' + 10 digits, unique per gemeente (the numbers are
-- unique over the whole hub).
CREATE SEQUENCE eb_identificatie_seq;
