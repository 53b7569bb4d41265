-- Asynchronous Fo01s (issue #21): a message that came in through the GGk door (an 'in' row of
-- ggk_envelope) and that the core later set aside without a retour (a dead letter) is reported
-- to its sender's registered GGk SOAP endpoint (push_endpoint.kind 'ggk-soap') as a Fo01 whose
-- crossRefnummer is the envelope's referentienummer. adapters/ggkfo01.py sends them (retried
-- like pushes), hub/infra/store/ggk_fo01.py holds the SQL.
CREATE TABLE ggk_fo01 (
    message_id       uuid PRIMARY KEY,             -- one Fo01 per message, however many letters
    party            text NOT NULL,                -- the sender, whose endpoint gets it
    referentienummer text NOT NULL,                -- of the envelope it reports on
    stage            text NOT NULL,                -- the dead letter's stage and error codes
    error            text NOT NULL,                -- (never its reason: free text)
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    next_at          timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    done_at          timestamptz
);
CREATE INDEX ggk_fo01_due_idx ON ggk_fo01 (next_at) WHERE state = 'pending';

-- Queued in the transaction that records the dead letter, so none is lost between the two and no
-- loop scans the dead letters. A derivation's skip (stage 'derivation:…') is a side effect of an
-- accepted message, not its refusal, so it sends none. Statement level: one join per batch.
CREATE FUNCTION ggk_fo01_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ggk_fo01 (message_id, party, referentienummer, stage, error)
    SELECT DISTINCT ON (d.message_id) d.message_id, g.party, g.referentienummer, d.stage, d.error
    FROM inserted d
    JOIN ggk_envelope g ON g.message_id = d.message_id AND g.direction = 'in'
    JOIN push_endpoint e ON e.party = g.party AND e.kind = 'ggk-soap'
    WHERE d.message_id IS NOT NULL AND d.stage NOT LIKE 'derivation:%'
    ORDER BY d.message_id
    ON CONFLICT (message_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER ggk_fo01_enqueue AFTER INSERT ON dead_letter
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION ggk_fo01_enqueue();
