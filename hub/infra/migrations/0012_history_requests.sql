-- History of the request flows (315 / 317 / 319) and the content of a toewijzing that the
-- request and declaratie rules compare with (hub/history.py, hub/store/history.py).
-- A person is only ever person_key (hub/privacy.py): no Bsn, name or birth date is stored.

-- The current version of a toewijzing, complete: its domain (iWmo and iJw are separate
-- domains, rules.md §0), RedenWijziging (a deleted toewijzing), Omvang, Budget and the
-- ReferentieAanbieder it honoured. Rows written before this migration get their domain from
-- the ledger; the other new columns stay unknown ('' / NULL) for them.
ALTER TABLE history_toewijzing
    ADD COLUMN domain               text NOT NULL DEFAULT '',
    ADD COLUMN reden_wijziging      text NOT NULL DEFAULT '',
    ADD COLUMN omvang_volume        bigint,
    ADD COLUMN omvang_eenheid       text,
    ADD COLUMN omvang_frequentie    text,
    ADD COLUMN budget               bigint,
    ADD COLUMN referentie_aanbieder text NOT NULL DEFAULT '';

UPDATE history_toewijzing h SET domain = m.standard
FROM message m
WHERE m.id = h.message_id AND m.standard IS NOT NULL;

-- TR332 / TR304 and the declaratie rules look a toewijzing up by its number in the gemeente,
-- whatever the client.
CREATE INDEX history_toewijzing_nummer_idx ON history_toewijzing (gemeente, toewijzing_nummer);

-- TR347 / TR374 / TR379 / TR355 / TR359 / TR360 / TR365: one row per ReferentieAanbieder of a
-- 315 (per AangevraagdProduct) or 317 (its Verzoek), unique per aanbieder in the domain, with
-- what answered it. Inserted once (ON CONFLICT DO NOTHING); the answer flags only ever turn
-- true, so writing the same effects again changes nothing.
CREATE TABLE history_request (
    domain        text NOT NULL,          -- iwmo / ijw
    aanbieder     text NOT NULL,
    referentie    text NOT NULL,          -- ReferentieAanbieder
    gemeente      text NOT NULL,
    person_key    text NOT NULL,
    berichtsoort  text NOT NULL,          -- BerichtCode of the 315 or 317
    onderzoek     boolean NOT NULL DEFAULT false,  -- a 319 VerzoekAntwoord 2 (in onderzoek)
    afgewezen     boolean NOT NULL DEFAULT false,  -- a 319 VerzoekAntwoord 1 (afgewezen)
    honoured      boolean NOT NULL DEFAULT false,  -- a 301 carried the ReferentieAanbieder
    message_id    uuid,                   -- the 315 / 317
    answered_by   uuid,                   -- the last 301 / 319 that answered it
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, aanbieder, referentie)
);

-- TR374: the open requests of a client.
CREATE INDEX history_request_open_idx ON history_request (gemeente, aanbieder, person_key)
    WHERE NOT afgewezen AND NOT honoured;
