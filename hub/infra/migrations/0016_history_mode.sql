-- Advisory mode of the history rules (hub/domain/advisory.py). `history_mode` holds the mode an
-- operator set for a gemeente (`hub history mode GEMEENTE enforce|advisory`); it wins over
-- HUB_HISTORY_MODES_FILE and HUB_HISTORY_DEFAULT_MODE, which the core reads at start.
CREATE TABLE history_mode (
    gemeente   text PRIMARY KEY CHECK (gemeente ~ '^[0-9]{4}$'),
    mode       text NOT NULL CHECK (mode IN ('enforce', 'advisory')),
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- The history findings of messages routed in advisory mode, one row per finding, written in
-- the intake's transaction with the message; `hub history report` counts them per gemeente and
-- rule. No sentence (it may quote a value) and no person: rule, code and element path only.
CREATE TABLE history_advisory_finding (
    message_id uuid NOT NULL,
    position   integer NOT NULL,
    gemeente   text NOT NULL,
    rule       text NOT NULL,
    retourcode text NOT NULL,
    location   text NOT NULL,
    found_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, position)
);
CREATE INDEX history_advisory_finding_report_idx
    ON history_advisory_finding (gemeente, rule, found_at);
