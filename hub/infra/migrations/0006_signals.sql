-- Signals raised once per toewijzing: a start (305) or stop (307) that did not come in time.
CREATE TABLE signal_raised (
    kind              text NOT NULL,          -- 'no-start' / 'no-stop'
    gemeente          text NOT NULL,
    aanbieder         text NOT NULL,
    person_key        text NOT NULL,          -- keyed hash, never a BSN
    toewijzing_nummer text NOT NULL,
    raised_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, gemeente, aanbieder, person_key, toewijzing_nummer)
);
