"""State of the declaratie history rules: accepted 323s and their Prestaties, keyed by
person hash (tables: 0013_history_declaratie.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from hub.domain.history.declaratie_state import (
    DeclaratieEffects,
    DeclaratieState,
    StoredDeclaratie,
    StoredPrestatie,
)
from hub.domain.history.facts import HistoryFacts
from hub.infra.store.base import DbConnection, Pool

__all__ = ["apply_declaraties", "load_declaraties"]

_DELETED = "13"  # RedenWijziging of a 301 line that TR385 checks

_P_COLS = (
    "h.domain, h.aanbieder, h.referentie_nummer, h.gemeente, h.declaratie, h.person_key,"
    " h.vorig_referentie_nummer, h.credit, h.toewijzing_nummer, h.product_categorie,"
    " h.product_code, h.begindatum, h.einddatum, h.geleverd_volume, h.eenheid, h.fingerprint,"
    " h.status"
)
_D_COLS = (
    "h.domain, h.aanbieder, h.identificatie, h.gemeente, h.dagtekening, h.xsd_versie,"
    " h.declaratie_nummer, h.periode_begin, h.refused"
)


def _wanted(
    facts_list: Sequence[HistoryFacts],
) -> tuple[
    set[tuple[str, str, str]],
    set[tuple[str, str, str, str]],
    set[tuple[str, str, str]],
    set[tuple[str, str, str]],
    set[tuple[str, str, str]],
]:
    """What a batch looks up: ReferentieNummers (own and Vorig), toewijzingen, the 323s that
    325s answer, DeclaratieNummers, and the (domain, aanbieder, gemeente) of each 323."""
    refs: set[tuple[str, str, str]] = set()
    toewijzingen: set[tuple[str, str, str, str]] = set()
    idents: set[tuple[str, str, str]] = set()
    nummers: set[tuple[str, str, str]] = set()
    scopes: set[tuple[str, str, str]] = set()
    for f in facts_list:
        d = f.declaratie
        if d is not None:
            nummers.add((d.domain, d.aanbieder, d.nummer))
            scopes.add((d.domain, d.aanbieder, d.gemeente))
            for p in d.prestaties:
                refs.add((d.domain, d.aanbieder, p.referentie))
                if p.vorig:
                    refs.add((d.domain, d.aanbieder, p.vorig))
                toewijzingen.add((d.domain, d.gemeente, d.aanbieder, p.toewijzing))
        a = f.declaratie_antwoord
        if a is not None:
            idents.add((a.domain, a.aanbieder, a.declaratie_identificatie))
        if f.parties is not None:
            for t in f.toewijzingen:
                if t.reden_wijziging == _DELETED:
                    pt = f.parties
                    toewijzingen.add((pt.domain, pt.gemeente, pt.aanbieder, t.nummer))
    return refs, toewijzingen, idents, nummers, scopes


def _cols(rows: set[tuple[str, ...]], width: int) -> list[list[str]]:
    ordered = sorted(rows)
    return [[r[i] for r in ordered] for i in range(width)]


async def load_declaraties(
    db: DbConnection | Pool, facts_list: Sequence[HistoryFacts]
) -> DeclaratieState:
    """The declaratie history a batch needs: one query per table."""
    refs, toewijzingen, idents, nummers, scopes = _wanted(facts_list)
    prestaties: list[StoredPrestatie] = []
    declaraties: list[StoredDeclaratie] = []
    if refs or toewijzingen or idents:
        rows = await db.fetch(
            f"""
            WITH r AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS q(d, a, r)),
                 t AS (SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[])
                       AS q(d, g, a, n)),
                 i AS (SELECT * FROM unnest($8::text[], $9::text[], $10::text[]) AS q(d, a, i))
            SELECT {_P_COLS} FROM history_prestatie h
              JOIN r ON h.domain = r.d AND h.aanbieder = r.a AND h.referentie_nummer = r.r
            UNION
            SELECT {_P_COLS} FROM history_prestatie h
              JOIN r ON h.domain = r.d AND h.aanbieder = r.a AND h.vorig_referentie_nummer = r.r
            UNION
            SELECT {_P_COLS} FROM history_prestatie h
              JOIN t ON h.domain = t.d AND h.gemeente = t.g AND h.aanbieder = t.a
                    AND h.toewijzing_nummer = t.n
            UNION
            -- The credits of those debets, whatever ToewijzingNummer they carry (TR323 asks
            -- only for VorigReferentieNummer): without them a credited debet looks open.
            SELECT {_P_COLS} FROM history_prestatie h
              JOIN history_prestatie d ON h.domain = d.domain AND h.aanbieder = d.aanbieder
                    AND h.vorig_referentie_nummer = d.referentie_nummer
              JOIN t ON d.domain = t.d AND d.gemeente = t.g AND d.aanbieder = t.a
                    AND d.toewijzing_nummer = t.n
            UNION
            SELECT {_P_COLS} FROM history_prestatie h
              JOIN i ON h.domain = i.d AND h.aanbieder = i.a AND h.declaratie = i.i
            """,
            *_cols(set(refs), 3),
            *_cols(set(toewijzingen), 4),
            *_cols(set(idents), 3),
        )
        prestaties = [StoredPrestatie(*r) for r in rows]
    if nummers or idents or scopes:
        rows = await db.fetch(
            f"""
            WITH n AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS q(d, a, n)),
                 i AS (SELECT * FROM unnest($4::text[], $5::text[], $6::text[]) AS q(d, a, i)),
                 s AS (SELECT * FROM unnest($7::text[], $8::text[], $9::text[]) AS q(d, a, g))
            SELECT {_D_COLS} FROM history_declaratie h
              JOIN n ON h.domain = n.d AND h.aanbieder = n.a AND h.declaratie_nummer = n.n
            UNION
            SELECT {_D_COLS} FROM history_declaratie h
              JOIN i ON h.domain = i.d AND h.aanbieder = i.a AND h.identificatie = i.i
            UNION
            SELECT l.* FROM s CROSS JOIN LATERAL (
                SELECT {_D_COLS} FROM history_declaratie h
                WHERE h.domain = s.d AND h.aanbieder = s.a AND h.gemeente = s.g AND NOT h.refused
                ORDER BY h.periode_begin DESC LIMIT 1) l
            """,
            *_cols(set(nummers), 3),
            *_cols(set(idents), 3),
            *_cols(set(scopes), 3),
        )
        declaraties = [StoredDeclaratie(*r) for r in rows]
    return DeclaratieState.build(prestaties, declaraties)


async def apply_declaraties(
    conn: DbConnection, batch: Sequence[tuple[DeclaratieEffects, UUID | None]]
) -> None:
    """Write the declaratie effects of a batch (each with its message id), inside the
    caller's transaction. Idempotent: rows are inserted once; a Prestatie is replaced only
    when it was rejected and another 323 brings its ReferentieNummer again; statuses only
    move from pending."""
    declaraties: dict[tuple[str, str, str], tuple[StoredDeclaratie, UUID | None]] = {}
    prestaties: dict[tuple[str, str, str], tuple[StoredPrestatie, UUID | None]] = {}
    answered: list[tuple[str, str, str, bool]] = []
    rejected: list[tuple[str, str, str, str]] = []
    for e, mid in batch:
        if e.declaratie is not None:
            declaraties.setdefault(e.declaratie.key, (e.declaratie, mid))
        for p in e.prestaties:
            prestaties[p.key] = (p, mid)
        if e.answered is not None:
            answered.append((*e.answered, e.refused))
            rejected.extend((*e.answered, ref) for ref in e.rejected)
    if declaraties:
        ds = list(declaraties.values())
        await conn.execute(
            """
            INSERT INTO history_declaratie (domain, aanbieder, identificatie, gemeente,
                dagtekening, xsd_versie, declaratie_nummer, periode_begin, message_id)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[],
                                 $6::text[], $7::text[], $8::date[], $9::uuid[])
            ON CONFLICT DO NOTHING
            """,
            [d.domain for d, _ in ds],
            [d.aanbieder for d, _ in ds],
            [d.identificatie for d, _ in ds],
            [d.gemeente for d, _ in ds],
            [d.dagtekening for d, _ in ds],
            [d.xsd_versie for d, _ in ds],
            [d.nummer for d, _ in ds],
            [d.periode_begin for d, _ in ds],
            [m for _, m in ds],
        )
    if prestaties:
        await _insert_prestaties(conn, list(prestaties.values()))
    if not answered:
        return
    await conn.execute(
        """
        UPDATE history_prestatie h SET status = 'rejected'
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS q(d, a, i, r)
        WHERE h.domain = q.d AND h.aanbieder = q.a AND h.declaratie = q.i
          AND h.referentie_nummer = q.r AND h.status = 'pending'
        """,
        *[[r[k] for r in rejected] for k in range(4)],
    )
    await conn.execute(
        """
        UPDATE history_prestatie h
           SET status = CASE WHEN q.refused THEN 'rejected' ELSE 'approved' END
        FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) AS q(d, a, i, refused)
        WHERE h.domain = q.d AND h.aanbieder = q.a AND h.declaratie = q.i
          AND h.status = 'pending'
        """,
        *[[r[k] for r in answered] for k in range(4)],
    )
    refused = [r for r in answered if r[3]]
    if refused:
        await conn.execute(
            """
            UPDATE history_declaratie h SET refused = true
            FROM unnest($1::text[], $2::text[], $3::text[]) AS q(d, a, i)
            WHERE h.domain = q.d AND h.aanbieder = q.a AND h.identificatie = q.i
              AND NOT h.refused
            """,
            *[[r[k] for r in refused] for k in range(3)],
        )
    if prestaties:
        # A ReferentieNummer that a 325 of this batch freed may be taken by a later 323 of
        # the batch: the second pass replaces only rows rejected meanwhile.
        await _insert_prestaties(conn, list(prestaties.values()))


async def _insert_prestaties(
    conn: DbConnection, ps: Sequence[tuple[StoredPrestatie, UUID | None]]
) -> None:
    await conn.execute(
        """
        INSERT INTO history_prestatie AS h (domain, aanbieder, referentie_nummer, gemeente,
            declaratie, person_key, vorig_referentie_nummer, credit, toewijzing_nummer,
            product_categorie, product_code, begindatum, einddatum, geleverd_volume, eenheid,
            fingerprint, status, message_id)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                             $6::text[], $7::text[], $8::boolean[], $9::text[], $10::text[],
                             $11::text[], $12::date[], $13::date[], $14::bigint[], $15::text[],
                             $16::text[], $17::text[], $18::uuid[])
        ON CONFLICT (domain, aanbieder, referentie_nummer) DO UPDATE SET
            gemeente = EXCLUDED.gemeente, declaratie = EXCLUDED.declaratie,
            person_key = EXCLUDED.person_key,
            vorig_referentie_nummer = EXCLUDED.vorig_referentie_nummer,
            credit = EXCLUDED.credit, toewijzing_nummer = EXCLUDED.toewijzing_nummer,
            product_categorie = EXCLUDED.product_categorie,
            product_code = EXCLUDED.product_code, begindatum = EXCLUDED.begindatum,
            einddatum = EXCLUDED.einddatum, geleverd_volume = EXCLUDED.geleverd_volume,
            eenheid = EXCLUDED.eenheid, fingerprint = EXCLUDED.fingerprint,
            status = EXCLUDED.status, message_id = EXCLUDED.message_id, recorded_at = now()
        WHERE h.status = 'rejected' AND h.declaratie <> EXCLUDED.declaratie
        """,
        [p.domain for p, _ in ps],
        [p.aanbieder for p, _ in ps],
        [p.referentie for p, _ in ps],
        [p.gemeente for p, _ in ps],
        [p.declaratie for p, _ in ps],
        [p.person for p, _ in ps],
        [p.vorig for p, _ in ps],
        [p.credit for p, _ in ps],
        [p.toewijzing for p, _ in ps],
        [p.categorie for p, _ in ps],
        [p.code for p, _ in ps],
        [p.begin for p, _ in ps],
        [p.eind for p, _ in ps],
        [p.volume for p, _ in ps],
        [p.eenheid for p, _ in ps],
        [p.fingerprint for p, _ in ps],
        [p.status for p, _ in ps],
        [m for _, m in ps],
    )
