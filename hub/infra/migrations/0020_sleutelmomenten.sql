-- Sleutelmomenten (issue #19, hub/domain/sleutelmomenten/): how late each key moment of care was
-- exchanged, one row per moment of one line, in werkdagen. No Bsn, name or birth date: the
-- person is only person_key (hub/domain/privacy.py). An OPEN row waits for its message
-- (a stop after the no-stop signal, the adjusting 301 after a stop) and is replaced by the
-- measured row when it comes.
CREATE TABLE sleutelmoment (
    id                bigserial PRIMARY KEY,
    moment            text NOT NULL CHECK (moment IN ('toewijzing', 'toewijzingsdatum', 'antwoord',
                                                      'start', 'stop', 'aanpassing', 'declaratie')),
    outcome           text NOT NULL CHECK (outcome IN ('on_time', 'late', 'measured', 'open',
                                                       'implausible')),
    source            text NOT NULL CHECK (source IN ('live', 'import')),
    domain            text NOT NULL,          -- iwmo / ijw
    gemeente          text NOT NULL,
    aanbieder         text NOT NULL,
    person_key        text,                   -- keyed hash of the client, never the Bsn
    toewijzing_nummer text NOT NULL,          -- '' where the moment has none
    reference         text NOT NULL,          -- ReferentieAanbieder, the 323's Identificatie, ''
    reference_date    date NOT NULL,          -- the day the clock runs from
    arrived_on        date,                   -- Amsterdam date of receipt (import: Dagtekening)
    werkdagen         integer,                -- arrived_on after reference_date; < 0: early
    deadline          integer,                -- werkdagen allowed; NULL: none in the standard
    message_id        uuid,                   -- the message measured; NULL while open
    about_id          uuid,                   -- the message the clock started from
    line              text NOT NULL,          -- the line's place in the message
    recorded_at       timestamptz NOT NULL DEFAULT now()
);
-- A message's line is measured once per moment (a redelivery or a second import changes nothing).
CREATE UNIQUE INDEX sleutelmoment_once ON sleutelmoment (message_id, moment, line)
    WHERE message_id IS NOT NULL;
-- The report and its filters: measured rows by month of arrival.
CREATE INDEX sleutelmoment_arrived ON sleutelmoment (arrived_on, moment) WHERE arrived_on IS NOT NULL;
-- Open rows by the day their clock runs from (the report's open counts).
CREATE INDEX sleutelmoment_open ON sleutelmoment (reference_date) WHERE outcome = 'open';
-- Intake's lookups by toewijzing: the first 301's receipt (start), open stops and adjustments.
CREATE INDEX sleutelmoment_toewijzing
    ON sleutelmoment (gemeente, aanbieder, toewijzing_nummer, moment)
    WHERE toewijzing_nummer <> '';
