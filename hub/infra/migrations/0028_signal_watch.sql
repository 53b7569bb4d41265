-- The start/stop signal scans read only toewijzingen they have not settled yet (issue #22,
-- docs/scale.md). Before this they walked every toewijzing past its Ingangsdatum (or
-- Einddatum) on every pass, against the start, stop and signal tables: two years of a region
-- made each pass read the whole history. Now a pass takes the oldest unsettled ones, raises
-- those that are due, and marks what it examined settled: a toewijzing is examined once,
-- again only if something that decided it changes:
-- * its Ingangsdatum or Einddatum changes (a later 301), or
-- * its start or stop is deleted (StatusAanlevering 3).
-- Rows stored before this migration start unsettled, and passes work through them.
ALTER TABLE history_toewijzing
    ADD COLUMN start_settled boolean,    -- NULL: the no-start scan has yet to examine it
    ADD COLUMN stop_settled  boolean;    -- NULL: the no-stop scan has yet to examine it

CREATE INDEX history_toewijzing_start_watch_idx ON history_toewijzing (ingangsdatum)
    WHERE start_settled IS NULL;
CREATE INDEX history_toewijzing_stop_watch_idx ON history_toewijzing (einddatum)
    WHERE stop_settled IS NULL AND einddatum IS NOT NULL;

CREATE FUNCTION history_toewijzing_dates_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ingangsdatum IS DISTINCT FROM OLD.ingangsdatum
       OR NEW.einddatum IS DISTINCT FROM OLD.einddatum THEN
        NEW.start_settled := NULL;
        NEW.stop_settled := NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER history_toewijzing_resettle BEFORE UPDATE OF ingangsdatum, einddatum
    ON history_toewijzing FOR EACH ROW EXECUTE FUNCTION history_toewijzing_dates_changed();

-- A deleted start or stop (rare: only StatusAanlevering 3 sets it) puts its toewijzing back.
CREATE FUNCTION history_line_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE history_toewijzing SET start_settled = NULL, stop_settled = NULL
    WHERE gemeente = NEW.gemeente AND aanbieder = NEW.aanbieder
      AND person_key = NEW.person_key AND toewijzing_nummer = NEW.toewijzing_nummer
      AND (start_settled IS NOT NULL OR stop_settled IS NOT NULL);
    RETURN NULL;
END $$;
CREATE TRIGGER history_start_deleted AFTER UPDATE OF deleted ON history_start
    FOR EACH ROW WHEN (NEW.deleted AND NOT OLD.deleted) EXECUTE FUNCTION history_line_deleted();
CREATE TRIGGER history_stop_deleted AFTER UPDATE OF deleted ON history_stop
    FOR EACH ROW WHEN (NEW.deleted AND NOT OLD.deleted) EXECUTE FUNCTION history_line_deleted();
