-- History of the declaratie (323) and declaratie-antwoord (325) for the berichtoverstijgende
-- rules of hub/history_declaratie.py. A person is only person_key (hub/privacy.py); no Bsn.
-- iWmo and iJw are separate domains ('iwmo' / 'ijw'). Rows are written once and then only
-- moved on (status pending -> approved/rejected, refused false -> true), so writing the same
-- effects again (a redelivery) changes nothing.

-- TR333 / TR318 / TR337 / TR371 / TR376: the accepted 323s (wholly or partly).
CREATE TABLE history_declaratie (
    domain            text NOT NULL,
    aanbieder         text NOT NULL,
    identificatie     text NOT NULL,          -- BerichtIdentificatie/Identificatie of the 323
    gemeente          text NOT NULL,
    dagtekening       date NOT NULL,          -- BerichtIdentificatie/Dagtekening
    xsd_versie        text NOT NULL,          -- 'BasisschemaXsdVersie|BerichtXsdVersie'
    declaratie_nummer text NOT NULL,
    periode_begin     date NOT NULL,          -- DeclaratiePeriode/Begindatum
    refused           boolean NOT NULL DEFAULT false,  -- the gemeente's 325 refused it whole
    message_id        uuid,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, aanbieder, identificatie)
);
CREATE INDEX history_declaratie_nummer ON history_declaratie (domain, aanbieder, declaratie_nummer);
CREATE INDEX history_declaratie_periode
    ON history_declaratie (domain, aanbieder, gemeente, periode_begin DESC) WHERE NOT refused;

-- TR314 / TR323 / TR389 / TR390 / TR321 / TR322 / TR369 / TR366 / TR367 / TR385: the accepted
-- Prestaties. status: pending (its 323 was forwarded, no 325 yet), approved (answered and not
-- rejected), rejected (a 325 returned it; it no longer counts, its ReferentieNummer is free).
CREATE TABLE history_prestatie (
    domain                  text NOT NULL,
    aanbieder               text NOT NULL,
    referentie_nummer       text NOT NULL,
    gemeente                text NOT NULL,
    declaratie              text NOT NULL,   -- Identificatie of the 323 that carried it
    person_key              text NOT NULL,
    vorig_referentie_nummer text NOT NULL,   -- '' for a debet
    credit                  boolean NOT NULL,
    toewijzing_nummer       text NOT NULL,
    product_categorie       text NOT NULL,
    product_code            text NOT NULL,
    begindatum              date NOT NULL,
    einddatum               date NOT NULL,
    geleverd_volume         bigint NOT NULL,
    eenheid                 text NOT NULL,
    fingerprint             text NOT NULL,   -- hash of the Prestatie's values (TR367)
    status                  text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    message_id              uuid,
    recorded_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, aanbieder, referentie_nummer)
);
CREATE INDEX history_prestatie_vorig ON history_prestatie (domain, aanbieder, vorig_referentie_nummer)
    WHERE vorig_referentie_nummer <> '';
CREATE INDEX history_prestatie_toewijzing
    ON history_prestatie (domain, gemeente, aanbieder, toewijzing_nummer);
CREATE INDEX history_prestatie_declaratie ON history_prestatie (domain, aanbieder, declaratie);
