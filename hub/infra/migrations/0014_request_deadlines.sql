-- The answer clock of verzoeken (315 verzoek om toewijzing, 317 verzoek om wijziging): the
-- gemeente answers each ReferentieAanbieder with a 301 or a 319 within 5 werkdagen; a 319
-- "in onderzoek" (VerzoekAntwoord 2) answers in time and starts the second clock: the final
-- 301 or 319 within 8 weeks of the verzoek's Dagtekening (domain.md §5). One row per
-- ReferentieAanbieder (a 315 has one per AangevraagdProduct, a 317 one for its Verzoek).
-- No personal data: parties, codes, dates and the aanbieder's own reference.
CREATE TABLE request_deadline (
    message_id   uuid NOT NULL REFERENCES message (id) ON DELETE CASCADE,  -- the 315 / 317
    referentie   text NOT NULL,                -- ReferentieAanbieder
    standard     text NOT NULL,                -- iwmo / ijw
    message_type text NOT NULL,                -- WMO315, JW317, ...
    bericht_code text NOT NULL,
    release      text,
    aanbieder    text NOT NULL,                -- the verzoek's sender, owed the answer
    gemeente     text NOT NULL,                -- its receiver, who owes it
    person_key   text,                         -- keyed hash of the client, never the BSN
    received_at  timestamptz NOT NULL,
    dagtekening  date NOT NULL,                -- the verzoek's Dagtekening (8-week clock)
    clock        text NOT NULL DEFAULT 'answer' CHECK (clock IN ('answer', 'final')),
    due          timestamptz NOT NULL,         -- the running clock's deadline
    final_due    timestamptz NOT NULL,         -- 8 weeks after the Dagtekening, if 'final'
    interim_id   uuid,                         -- the 319 "in onderzoek" that started 'final'
    interim_at   timestamptz,
    answer_id    uuid,                         -- the 301 / 319 that answered it for good
    answered_at  timestamptz,
    overdue_at   timestamptz,                  -- request.overdue raised for this clock
    PRIMARY KEY (message_id, referentie)
);

-- The watch's claim and the overdue count: running clocks by deadline.
CREATE INDEX request_deadline_due_idx ON request_deadline (due) WHERE answered_at IS NULL;
-- An answer finds its verzoek by the parties and the reference (TR347: a reference is used
-- once per aanbieder in a domain).
CREATE INDEX request_deadline_open_idx
    ON request_deadline (standard, aanbieder, gemeente, referentie)
    WHERE answered_at IS NULL;
