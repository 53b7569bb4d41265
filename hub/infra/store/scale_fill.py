"""A synthetic ledger of a region for the scale benchmark (`make bench-scale`), written by
INSERT ... SELECT generate_series so millions of rows take minutes, not hours.

Heenberichten come in cases of ten (one client, one toewijzing): 315, 301, 305, 323 ×3, 317,
319, 307, 323, each followed by its retour, spread evenly over `days` days up to `now`.
Payloads older than the retention are empty (as `hub purge` leaves them); a few heenberichten
have no retour (overdue, already reported), one toewijzing in twenty never started, every
other one runs past its Einddatum without a stop, and everything overdue before the last two weeks
was signalled already (signal_raised), as a hub that ran all along would have it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from uuid import UUID

from hub.infra.store.base import DbConnection

# $1 first heen index, $2 last (exclusive), $3 heen count in all, $4 now, $5 days,
# $6 retention (days), $7 payload bytes of a kept message.
_HEEN = """
WITH g AS (
    SELECT i, i / 10 AS c, (ARRAY['WMO315','WMO301','WMO305','WMO323','WMO323','WMO323',
            'WMO317','WMO319','WMO307','WMO323'])[i % 10 + 1] AS t,
           $4::timestamptz - make_interval(secs => ($3 - i)::float8 / $3 * $5 * 86400) AS at
    FROM generate_series($1::bigint, $2::bigint - 1) AS i
)
INSERT INTO message (id, received_at, recorded_at, source_node, submitted_by, namespace,
    bericht_code, afzender, ontvanger, identificatie, status, payload, payload_sha256,
    message_type, standard, release, direction, sender, receiver, receiver_node, person_key,
    retourcodes, retour_due, retour_id, retour_at, overdue_at, purged_at)
SELECT md5('h' || i)::uuid, at, at,
       CASE WHEN t IN ('WMO301','WMO319') THEN 'ggk' ELSE 'vecozo' END,
       CASE WHEN t IN ('WMO301','WMO319') THEN 'G' || (c % 20) ELSE 'A' || (c % 400) END,
       'http://www.istandaarden.nl/iwmo/3_2/basisschema/schema', substr(t, 4),
       CASE WHEN t IN ('WMO301','WMO319') THEN 'G' || (c % 20) ELSE 'A' || (c % 400) END,
       CASE WHEN t IN ('WMO301','WMO319') THEN 'A' || (c % 400) ELSE 'G' || (c % 20) END,
       'S' || i, 'accepted',
       CASE WHEN at < $4 - make_interval(days => $6) THEN ''::bytea
            ELSE convert_to(repeat('x', $7), 'UTF8') END,
       sha256(int8send(i)), t, 'iwmo', '3.2', 'heen',
       CASE WHEN t IN ('WMO301','WMO319') THEN 'G' || (c % 20) ELSE 'A' || (c % 400) END,
       CASE WHEN t IN ('WMO301','WMO319') THEN 'A' || (c % 400) ELSE 'G' || (c % 20) END,
       CASE WHEN t IN ('WMO301','WMO319') THEN 'vecozo' ELSE 'ggk' END,
       'p' || c, '{}', at + interval '5 days',
       CASE WHEN i % 97 = 0 THEN NULL ELSE md5('r' || i)::uuid END,
       CASE WHEN i % 97 = 0 THEN NULL ELSE at + interval '1 hour' END,
       CASE WHEN i % 97 = 0 AND at < $4 - interval '6 days' THEN at + interval '5 days' END,
       CASE WHEN at < $4 - make_interval(days => $6) THEN at + make_interval(days => $6) END
FROM g
"""

_RETOUR = """
INSERT INTO message (id, received_at, recorded_at, source_node, submitted_by, namespace,
    bericht_code, afzender, ontvanger, identificatie, status, payload, payload_sha256,
    message_type, standard, release, direction, sender, receiver, receiver_node, person_key,
    retourcodes, answers, purged_at)
SELECT m.retour_id, m.retour_at, m.retour_at, m.receiver_node, m.receiver, m.namespace,
       lpad((m.bericht_code::int + 1)::text, 3, '0'), m.receiver, m.sender,
       'R' || substr(m.identificatie, 2), 'accepted',
       CASE WHEN m.purged_at IS NULL THEN m.payload ELSE ''::bytea END,
       sha256(m.payload_sha256), 'WMO' || lpad((m.bericht_code::int + 1)::text, 3, '0'),
       'iwmo', '3.2', 'retour', m.receiver, m.sender, m.source_node, m.person_key,
       '{0200}', m.id, m.purged_at
FROM message m
WHERE m.id = ANY($1::uuid[]) AND m.retour_id IS NOT NULL
"""

# Deliveries (downloaded; acknowledged by all but one gemeente, G3, which never acknowledges,
# as the VECOZO node allows: its deliveries of purged messages are marked so, as a purge
# leaves them), findings (one heenbericht in twenty), TR056's identificaties.
NEVER_ACKNOWLEDGES = "G3"
_AROUND = [
    f"""INSERT INTO delivery (message_id, node, party, available_at, downloaded_at, acked_at,
           payload_purged)
       SELECT id, receiver_node, receiver, received_at, received_at + interval '1 hour',
              CASE WHEN receiver <> '{NEVER_ACKNOWLEDGES}' THEN received_at + interval '1 hour'
              END,
              receiver = '{NEVER_ACKNOWLEDGES}' AND purged_at IS NOT NULL
       FROM message WHERE id = ANY($1::uuid[])""",
    """INSERT INTO finding (message_id, position, rule, retourcode, level, location, sentence)
       SELECT id, 0, 'TR019', '8001', 3, 'Client', 'Een regel die de bench bedenkt.'
       FROM message WHERE id = ANY($1::uuid[])
         AND direction = 'heen' AND substr(identificatie, 2)::bigint % 20 = 7""",
    """INSERT INTO history_identificatie (afzender, berichtsoort, identificatie, message_id,
           recorded_at)
       SELECT afzender, bericht_code, identificatie, id, received_at
       FROM message WHERE id = ANY($1::uuid[])""",
]

# Per case (the 301's row): toewijzing, start (not c % 20 = 0), stop (c % 2 = 1), the
# verzoek's deadline (answered), a sleutelmoment per 305/307/323, eb state per 305, a
# declared prestatie per 323. $1/$2: the received_at window.
_CASES = [
    """INSERT INTO history_toewijzing (gemeente, aanbieder, person_key, domain,
           toewijzing_nummer, product_categorie, product_code, ingangsdatum, einddatum,
           toegewezen_op, message_id, recorded_at)
       SELECT sender, receiver, person_key, 'iwmo', 'T' || person_key, '04', '04A01',
              received_at::date, received_at::date + 120, received_at, id, received_at
       FROM message WHERE id = ANY($1::uuid[]) AND message_type = 'WMO301'""",
    """INSERT INTO history_start (gemeente, aanbieder, person_key, toewijzing_nummer,
           product_categorie, product_code, begindatum, message_id, recorded_at)
       SELECT receiver, sender, person_key, 'T' || person_key, '04', '04A01',
              received_at::date, id, received_at
       FROM message WHERE id = ANY($1::uuid[]) AND message_type = 'WMO305'
         AND substr(person_key, 2)::bigint % 20 <> 0""",
    """INSERT INTO history_stop (gemeente, aanbieder, person_key, toewijzing_nummer,
           product_categorie, product_code, begindatum, reden_beeindiging, einddatum,
           message_id, recorded_at)
       SELECT receiver, sender, person_key, 'T' || person_key, '04', '04A01',
              received_at::date - 7, '01', received_at::date, id, received_at
       FROM message WHERE id = ANY($1::uuid[]) AND message_type = 'WMO307'
         AND substr(person_key, 2)::bigint % 2 = 1
         AND substr(person_key, 2)::bigint % 20 <> 0""",
    """INSERT INTO request_deadline (message_id, referentie, standard, message_type,
           bericht_code, aanbieder, gemeente, person_key, received_at, dagtekening, due,
           final_due, answer_id, answered_at, overdue_at)
       SELECT id, 'V' || identificatie, 'iwmo', message_type, bericht_code, sender, receiver,
              person_key, received_at, received_at::date, received_at + interval '7 days',
              received_at + interval '56 days',
              CASE WHEN substr(identificatie, 2)::bigint % 89 = 0 THEN NULL ELSE id END,
              CASE WHEN substr(identificatie, 2)::bigint % 89 = 0 THEN NULL
                   ELSE received_at + interval '2 days' END,
              CASE WHEN substr(identificatie, 2)::bigint % 89 = 0
                    AND received_at < $2::timestamptz - interval '8 days'
                   THEN received_at + interval '7 days' END
       FROM message WHERE id = ANY($1::uuid[])
         AND message_type IN ('WMO315', 'WMO317')""",
    """INSERT INTO sleutelmoment (moment, outcome, source, domain, gemeente, aanbieder,
           person_key, toewijzing_nummer, reference, reference_date, arrived_on, werkdagen,
           deadline, message_id, line, recorded_at)
       SELECT CASE message_type WHEN 'WMO305' THEN 'start' WHEN 'WMO307' THEN 'stop'
                                ELSE 'declaratie' END,
              CASE WHEN substr(identificatie, 2)::bigint % 5 = 0 THEN 'late' ELSE 'on_time' END,
              'live', 'iwmo', receiver, sender, person_key, 'T' || person_key, '',
              received_at::date - 3, received_at::date, 3, 5, id, '0', received_at
       FROM message WHERE id = ANY($1::uuid[])
         AND message_type IN ('WMO305', 'WMO307', 'WMO323')""",
    """INSERT INTO eb_start (gemeente, person_key, route, aanbieder, toewijzing_nummer,
           product_categorie, product_code, begindatum, message_id, recorded_at)
       SELECT receiver, person_key, '405', sender, 'T' || person_key, '04', '04A01',
              received_at::date, id, received_at
       FROM message WHERE id = ANY($1::uuid[]) AND message_type = 'WMO305'""",
    """INSERT INTO history_prestatie (domain, aanbieder, referentie_nummer, gemeente,
           declaratie, person_key, vorig_referentie_nummer, credit, toewijzing_nummer,
           product_categorie, product_code, begindatum, einddatum, geleverd_volume, eenheid,
           fingerprint, status, message_id, recorded_at)
       SELECT 'iwmo', sender, 'P' || identificatie, receiver, identificatie, person_key, '',
              false, 'T' || person_key, '04', '04A01', received_at::date - 30,
              received_at::date - 1, 10, '01', md5(identificatie), 'approved', id, received_at
       FROM message WHERE id = ANY($1::uuid[]) AND message_type = 'WMO323'""",
]

# What a hub that ran all along raised already: every no-start / no-stop overdue before the
# last two weeks ($1: that day).
_RAISED = [
    """INSERT INTO signal_raised (kind, gemeente, aanbieder, person_key, toewijzing_nummer,
           raised_at)
       SELECT 'no-start', t.gemeente, t.aanbieder, t.person_key, t.toewijzing_nummer,
              t.ingangsdatum + 5
       FROM history_toewijzing t
       WHERE t.ingangsdatum < $1 AND substr(t.person_key, 2)::bigint % 20 = 0""",
    """INSERT INTO signal_raised (kind, gemeente, aanbieder, person_key, toewijzing_nummer,
           raised_at)
       SELECT 'no-stop', t.gemeente, t.aanbieder, t.person_key, t.toewijzing_nummer,
              t.einddatum + 5
       FROM history_toewijzing t
       WHERE t.einddatum < $1 AND substr(t.person_key, 2)::bigint % 2 = 0
         AND substr(t.person_key, 2)::bigint % 20 <> 0""",
]


async def fill_chunk(
    conn: DbConnection,
    first: int,
    last: int,
    total: int,
    now: datetime,
    *,
    days: int,
    retention_days: int,
    payload_bytes: int,
) -> None:
    """Heenberichten `first` .. `last - 1` of `total`, their retours and everything around
    them, in the caller's transaction."""
    await conn.execute(_HEEN, first, last, total, now, days, retention_days, payload_bytes)
    heen = [_uuid(f"h{i}") for i in range(first, last)]
    await conn.execute(_RETOUR, heen)
    ids = heen + [_uuid(f"r{i}") for i in range(first, last) if i % 97]
    for sql in _AROUND:
        await conn.execute(sql, ids)
    for sql in _CASES:
        await (conn.execute(sql, ids, now) if "$2" in sql else conn.execute(sql, ids))


def _uuid(text: str) -> UUID:
    """PostgreSQL's md5(text)::uuid, the fill's message ids."""
    return UUID(hashlib.md5(text.encode()).hexdigest())  # noqa: S324 - an id, not a secret


async def finish(conn: DbConnection, now: datetime) -> None:
    """The signals raised and the toewijzingen settled before the last two weeks, and fresh
    statistics for the planner."""
    settled = now.date() - timedelta(days=14)
    for sql in _RAISED:
        await conn.execute(sql, settled)
    # ... and settled by its signal scans (migration 0028): all but the last two weeks.
    await conn.execute(
        "UPDATE history_toewijzing SET start_settled = true,"
        " stop_settled = CASE WHEN einddatum < $1 THEN true END WHERE ingangsdatum < $1",
        settled,
    )
    await conn.execute("ANALYZE")
