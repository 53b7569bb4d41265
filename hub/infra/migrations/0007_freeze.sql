-- Release freezes: messages the core parked (message.status = 'parked') and what became of
-- each at the cutover: released into intake again (new-release) or returned to its sender
-- (old-release).
CREATE INDEX message_parked_idx ON message (standard, release, received_at)
    WHERE status = 'parked';

CREATE TABLE freeze_outcome (
    message_id  uuid PRIMARY KEY REFERENCES message (id),
    action      text NOT NULL,                -- 'released' / 'returned'
    released_as uuid,                         -- a released one: its new ingress message id
    reason      text NOT NULL,
    done_at     timestamptz NOT NULL DEFAULT now()
);
