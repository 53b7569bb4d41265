-- History for the berichtoverstijgende rules (controleniveau 3, hub/history.py).
-- A person is only ever person_key: the keyed hash of the Bsn (hub/privacy.py). No Bsn, name,
-- birth date or address is stored here. Optional key parts are '' (never NULL) so that they
-- can be part of a primary key; '' ToewijzingNummer means taakgericht (no toewijzing).
-- Rows are inserted once (ON CONFLICT DO NOTHING) and then only flagged deleted, so writing
-- the same effects again (a redelivery) changes nothing.

-- TR056: Identificatie per sender and berichtsoort.
CREATE TABLE history_identificatie (
    afzender      text NOT NULL,
    berichtsoort  text NOT NULL,          -- BerichtCode of the message kind
    identificatie text NOT NULL,
    message_id    uuid,                   -- the hub's upload id (ledger message.id)
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (afzender, berichtsoort, identificatie)
);

-- TR019: toewijzingen (301) per client of an aanbieder in a gemeente. The newest version by
-- Toewijzingsdatum + Toewijzingstijd holds the current content.
CREATE TABLE history_toewijzing (
    gemeente          text NOT NULL,
    aanbieder         text NOT NULL,
    person_key        text NOT NULL,
    toewijzing_nummer text NOT NULL,
    product_categorie text NOT NULL,
    product_code      text NOT NULL,
    ingangsdatum      date NOT NULL,
    einddatum         date,
    toegewezen_op     timestamp NOT NULL,  -- Toewijzingsdatum + Toewijzingstijd (local time)
    message_id        uuid,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gemeente, aanbieder, person_key, toewijzing_nummer)
);

-- TR063 / TR071 / TR074 / TR326 / TR382: StartProducts (305) by logical key.
CREATE TABLE history_start (
    gemeente          text NOT NULL,
    aanbieder         text NOT NULL,
    person_key        text NOT NULL,
    toewijzing_nummer text NOT NULL,
    product_categorie text NOT NULL,
    product_code      text NOT NULL,
    begindatum        date NOT NULL,
    deleted           boolean NOT NULL DEFAULT false,
    message_id        uuid,
    deleted_by        uuid,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gemeente, aanbieder, person_key, toewijzing_nummer, product_categorie,
                 product_code, begindatum)
);

-- TR063 / TR071 / TR074 / TR413 / TR414 / TR415: StopProducts (307) by logical key
-- (the key of the start they stop + RedenBeeindiging + Einddatum).
CREATE TABLE history_stop (
    gemeente          text NOT NULL,
    aanbieder         text NOT NULL,
    person_key        text NOT NULL,
    toewijzing_nummer text NOT NULL,
    product_categorie text NOT NULL,
    product_code      text NOT NULL,
    begindatum        date NOT NULL,
    reden_beeindiging text NOT NULL,
    einddatum         date NOT NULL,
    deleted           boolean NOT NULL DEFAULT false,
    message_id        uuid,
    deleted_by        uuid,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gemeente, aanbieder, person_key, toewijzing_nummer, product_categorie,
                 product_code, begindatum, reden_beeindiging, einddatum)
);

-- Every lookup is "all rows of these (gemeente, aanbieder, person_key)" or one exact
-- identificatie: the leading columns of the primary keys above serve both, so no other index.
