-- The verzoeken's answer clock claims running clocks past their deadline not yet reported
-- (hub/infra/store/requests.py, claim_overdue). request_deadline_due_idx holds every
-- unanswered clock, reported or not, and the reported ones that are never answered only
-- grow: at two years of a region (`make bench-scale`, docs/scale.md) a pass examined 11,144
-- rows to claim 15. This index holds only the work.
CREATE INDEX request_deadline_claim_idx ON request_deadline (due)
    WHERE answered_at IS NULL AND overdue_at IS NULL;
