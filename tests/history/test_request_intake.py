"""The toewijzing and request rules through the real intake (broker-less core on PostgreSQL):
each flow's retour (302, 316, 318, 320) carries the code on the class where the error sits."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from lxml import etree

from handlers import intake
from hub.domain import xmlcodec
from hub.domain.decide import Context, Incoming
from hub.domain.validation import Outcome
from hub.infra import store
from hub.infra.runtime import Runtime

from ._build import BSN, OTHER_BSN
from ._requests import N, T, W, aanvraag, antwoord, toewijzing, verzoek


@pytest.fixture
def ctx(runtime: Runtime) -> Context:
    return intake.build_context(runtime)


async def _send(runtime: Runtime, ctx: Context, root: etree._Element) -> UUID:
    """One message through intake from its sender (the gemeente's via ggk, else vecozo)."""
    env = xmlcodec.read_envelope(root)
    party = env.afzender or ""
    node = "ggk" if len(party) == 4 else "vecozo"  # a gemeente's CBS code has 4 digits
    item = Incoming(
        id=uuid4(),
        node=node,
        party=party,
        received_at=datetime(2025, 7, 21, 9, 30, tzinfo=UTC),
        payload=xmlcodec.serialize(root),
        partition=0,
        offset=1,
        topic="t.ingress",
    )
    await intake.process(runtime, ctx, [item])
    return item.id


async def _status(pool: store.Pool, message_id: UUID) -> str:
    return str(await pool.fetchval("SELECT status FROM message WHERE id = $1", message_id))


async def _retour(runtime: Runtime, message_id: UUID) -> tuple[str, dict[str, list[str]]]:
    """The retour's message type and, per class (local name), the RetourCodes it carries."""
    retour_id = await runtime.pool.fetchval(
        "SELECT retour_id FROM message WHERE id = $1", message_id
    )
    assert retour_id is not None
    payload = await runtime.pool.fetchval("SELECT payload FROM message WHERE id = $1", retour_id)
    verdict = runtime.validator.validate(bytes(payload))
    assert verdict.outcome is Outcome.VALID, verdict.findings
    assert verdict.message_type is not None
    assert verdict.root is not None
    classes: dict[str, list[str]] = {}
    for codes in verdict.root.iter("{*}RetourCodes"):
        owner = codes.getparent()
        assert owner is not None
        classes.setdefault(xmlcodec.local_name(owner), []).extend(
            e.text or "" for e in codes.iter("{*}RetourCode")
        )
    return verdict.message_type.name, classes


async def test_301_reusing_a_number_of_another_client_gets_a_302_with_9332(
    runtime: Runtime, ctx: Context
) -> None:
    first = await _send(runtime, ctx, toewijzing(T()))
    assert await _status(runtime.pool, first) == "accepted"
    second = await _send(runtime, ctx, toewijzing(T(), bsn=OTHER_BSN))
    assert await _status(runtime.pool, second) == "rejected"
    name, classes = await _retour(runtime, second)
    assert name == "WMO302"
    assert classes["ToegewezenProduct"] == ["9332"]
    assert classes["Client"] == ["0200"]
    assert classes["Header"] == ["0200"]


async def test_315_while_a_request_is_open_gets_a_316_with_9374_on_the_client(
    runtime: Runtime, ctx: Context
) -> None:
    assert await _status(runtime.pool, await _send(runtime, ctx, aanvraag("VOT-1"))) == "accepted"
    refused = await _send(runtime, ctx, aanvraag("VOT-2"))
    assert await _status(runtime.pool, refused) == "rejected"
    name, classes = await _retour(runtime, refused)
    assert name == "WMO316"
    assert classes["Client"] == ["9374"]
    # A refused message counts as never sent: its reference is still free after a refusal.
    answer = await _send(runtime, ctx, antwoord("VOT-1", "1"))
    assert await _status(runtime.pool, answer) == "accepted"
    assert await _status(runtime.pool, await _send(runtime, ctx, aanvraag("VOT-2"))) == "accepted"


async def test_317_naming_no_actual_toewijzing_gets_a_318_on_its_products(
    runtime: Runtime, ctx: Context
) -> None:
    await _send(runtime, ctx, toewijzing(T(), T(nummer="300202", categorie="01", code="01A01")))
    refused = await _send(runtime, ctx, verzoek("VOW-1", te_wijzigen=(W(nummer="300299"),)))
    assert await _status(runtime.pool, refused) == "rejected"
    name, classes = await _retour(runtime, refused)
    assert name == "WMO318"
    assert classes["TeWijzigenProduct"] == ["9351"]
    assert classes["Verzoek"] == ["9349"]
    codes = await runtime.pool.fetchval("SELECT retourcodes FROM message WHERE id = $1", refused)
    assert list(codes) == ["9351", "9349"]
    passing = verzoek("VOW-1", ongewijzigd=("300202",), te_wijzigen=(W(),), bsn=BSN)
    assert await _status(runtime.pool, await _send(runtime, ctx, passing)) == "accepted"


async def test_319_on_an_unknown_reference_gets_a_320_with_9355_on_the_antwoord(
    runtime: Runtime, ctx: Context
) -> None:
    refused = await _send(runtime, ctx, antwoord("VOW-9", "2"))
    assert await _status(runtime.pool, refused) == "rejected"
    name, classes = await _retour(runtime, refused)
    assert name == "WMO320"
    assert classes["Antwoord"] == ["9355"]
    # The request, "in onderzoek", then the honouring 301: each accepted in turn.
    for root in (aanvraag("VOW-9"), antwoord("VOW-9", "2"), toewijzing(T(ref="VOW-9"))):
        assert await _status(runtime.pool, await _send(runtime, ctx, root)) == "accepted"
    late = await _send(runtime, ctx, antwoord("VOW-9", "1"))
    assert await _status(runtime.pool, late) == "rejected"
    assert (await _retour(runtime, late))[1]["Antwoord"] == ["9359"]


async def test_ijw_317_with_an_overlapping_new_product_gets_a_jw318_with_9361(
    runtime: Runtime, ctx: Context
) -> None:
    """iJw has no hulpmiddelen exemption (rules.md §5); the flow is the same as iWmo's."""
    lines = (T(categorie="45", code="45A48"), T(nummer="300202", categorie="54", code="54001"))
    assert await _status(runtime.pool, await _send(runtime, ctx, toewijzing(*lines, std="JW"))) == (
        "accepted"
    )
    clash = N(categorie="45", code="45A48", ingang="2025-09-01")
    refused = await _send(
        runtime, ctx, verzoek(ongewijzigd=("300202",), te_wijzigen=(W(),), nieuw=(clash,), std="JW")
    )
    assert await _status(runtime.pool, refused) == "rejected"
    name, classes = await _retour(runtime, refused)
    assert name == "JW318"
    assert classes["NieuwProduct"] == ["9361"]
    assert classes["TeWijzigenProduct"] == ["0200"]
