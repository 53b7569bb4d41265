-- Lookups that must not read the whole ledger once it holds years of messages (issue #22,
-- measured by `make bench-scale`, docs/scale.md):
-- * `hub trace <Identificatie>` and the sender's status query look a message up by its
--   Identificatie (and BerichtCode): leading with the Identificatie serves both, and the
--   same index still answers (Identificatie, BerichtCode, Afzender); it replaces the
--   (afzender, bericht_code, identificatie) one rather than adding a fourth on that triple.
DROP INDEX IF EXISTS message_identificatie_idx;
CREATE INDEX message_identificatie_idx ON message (identificatie, bericht_code, afzender);
-- * a trace follows a heenbericht to every retour answering it: retours only.
CREATE INDEX message_answers_idx ON message (answers) WHERE answers IS NOT NULL;
-- * `hub retours overdue` lists heenberichten still awaiting their retour, reported or not
--   (message_overdue_idx holds only those not yet reported, for the deadline watch's claim).
CREATE INDEX message_awaiting_retour_idx ON message (retour_due)
    WHERE retour_due IS NOT NULL AND retour_id IS NULL;
