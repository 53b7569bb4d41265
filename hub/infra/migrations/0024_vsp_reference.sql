-- The VECOZO-like door's references of each message pushed through it (issue #21; nodes.md §2),
-- read and written by hub/infra/store/vsp.py. A message that came in another way has no row:
-- the door names it by its message id (its traceerId), and a retour by the heenbericht's
-- conversatieId and traceerId (alsAntwoordOp).

-- Written by the door before the message goes the acceptance path (and removed again when that
-- refuses it), so the message row does not exist yet: no foreign key. A traceerId is unique per
-- sending party (BRS114); a resend with the same traceerId and payload (same digest) is the
-- same upload, one with another payload is refused.
CREATE TABLE vsp_reference (
    message_id       uuid PRIMARY KEY,           -- the upload id, derived from (afzender, traceerId)
    afzender         text NOT NULL,              -- the metadata's afzender code
    traceer_id       text NOT NULL,
    conversatie_id   text NOT NULL,
    als_antwoord_op  text,
    referentie_id    text,
    submitted_by     text NOT NULL,              -- the authenticated party (the software's)
    payload_sha256   bytea NOT NULL,
    berichttype      text NOT NULL,
    berichtsubtype   text,
    berichtversie    text NOT NULL,
    berichtsubversie text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (afzender, traceer_id)
);
CREATE INDEX vsp_reference_traceer_idx ON vsp_reference (traceer_id);
CREATE INDEX vsp_reference_conversatie_idx ON vsp_reference (conversatie_id);
CREATE INDEX vsp_reference_antwoord_idx ON vsp_reference (als_antwoord_op)
    WHERE als_antwoord_op IS NOT NULL;
