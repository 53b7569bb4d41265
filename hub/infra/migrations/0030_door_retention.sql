-- The purge's node-door passes (hub/infra/store/retention.py) read only what may be due
-- (issue #22, "retention at scale"): without these each pass read every row of each table
-- received before the cut-off, and vsp_reference keeps a row for every VECOZO message for
-- ever (its traceerId and conversatieId answer status queries and retours).
--
-- A VECOZO reference is settled once the purge has seen its message purged (its free text
-- cleared then) or found it an orphan; only the unsettled ones, those whose message still
-- has its payload, are read again. Existing references start unsettled: the first passes
-- work through them once, oldest first, a batch at a time.
ALTER TABLE vsp_reference ADD COLUMN settled boolean NOT NULL DEFAULT false;
CREATE INDEX vsp_reference_unsettled_idx ON vsp_reference (created_at) WHERE NOT settled;

-- A GGk envelope lives about one retention period (dropped once its message and its
-- retours were purged); a Fo01 one retention period after it was delivered or given up.
CREATE INDEX ggk_envelope_created_idx ON ggk_envelope (created_at);
CREATE INDEX ggk_fo01_done_idx ON ggk_fo01 (done_at) WHERE state IN ('delivered', 'failed');
