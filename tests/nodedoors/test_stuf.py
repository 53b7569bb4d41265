"""The GGk door's pure parts: what the hub writes is valid against its own schemas and reads
back the same, the functie check, the Di01/Du01 mapping, the code table, and a message larger
than the parser's 10 MB text limit read through the lift."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lxml import etree

from hub.domain import messages, stuf, stufcodes, stufwrite, xmlcodec
from hub.domain.stuf import StufRefused, Stuurgegevens, Systeem
from tests.nodedoors.ggkkit import b64, raw_di01

NOW = datetime(2026, 12, 6, 10, 15, 0, 123000, tzinfo=UTC)


def _sg(code: str = "Di01", cross: str | None = None) -> Stuurgegevens:
    return Stuurgegevens(
        code, Systeem("0363", "GGk"), Systeem("65656055", "GGk"), str(uuid.uuid4()),
        stufwrite.tijdstip(NOW), cross=cross, functie="WMO302" if cross else "WMO301",
    )  # fmt: skip


def _content(soap: bytes) -> etree._Element:
    return xmlcodec.parse_message(soap)[0][0]


def test_what_the_hub_writes_is_valid_and_reads_back() -> None:
    assert stufwrite.tijdstip(NOW) == "20261206101500123"
    di01 = _sg()
    read = stuf.read_request(stufwrite.envelope(di01, b"<m/>"), stuf.DI01.action)
    assert (read.operation, read.payload) == (stuf.DI01, b"<m/>")
    assert read.stuurgegevens == di01
    du01 = _sg("Du01", cross=str(uuid.uuid4()))
    read = stuf.read_request(stufwrite.envelope(du01, b"<m/>"), f'"{stuf.DU01.action}"')
    assert read.stuurgegevens == du01
    hub = Systeem(None, "GGk")
    answer = stufwrite.answer_stuurgegevens("Bv03", di01, hub, str(uuid.uuid4()), NOW)
    assert (answer.zender, answer.ontvanger, answer.cross) == (
        di01.ontvanger, di01.zender, di01.referentienummer)  # fmt: skip
    assert stuf.answer_of(stufwrite.bv03(answer)) == ("Bv03", di01.referentienummer)
    fault = stufwrite.fo03_fault(answer, "IB001", "invalid/schema", "x" * 2000, client=True)
    assert stuf.answer_of(fault) == ("Fo03", "IB001")
    assert stuf.schema().validate(_content(stufwrite.bv03(answer)))
    fo01 = stuf.read_request(stufwrite.fo01(answer, "IB001", "kapot", None), stuf.FO01.action)
    assert (fo01.fault_code, fo01.fault_text) == ("IB001", "kapot")


@pytest.mark.parametrize(
    ("body", "action", "reason"),
    [
        (b"<x:a xmlns:x='urn:x'/>", None, "not_an_envelope"),
        (raw_di01(b64(b"<m/>")), stuf.DU01.action, "action_mismatch"),
        (raw_di01("@@@@"), None, "base64"),
        (raw_di01(""), None, "base64"),
        (raw_di01(b64(b"<m/>")).replace(b"0004", b"4"), None, "schema"),
        (raw_di01(b64(b"<m/>"), head="<!DOCTYPE x>"), None, "doctype"),
    ],
)
def test_bad_requests_are_refused_with_their_reason(
    body: bytes, action: str | None, reason: str
) -> None:
    with pytest.raises(StufRefused) as refused:
        stuf.read_request(body, action)
    assert refused.value.reason == reason


def test_a_message_over_the_parsers_text_limit_is_read_whole() -> None:
    big = b"<m xmlns='urn:x'>" + b"y" * (12 * 1024 * 1024) + b"</m>"
    assert stuf.read_request(raw_di01(b64(big)), None).payload == big


def test_functie_and_the_di01_du01_mapping() -> None:
    ns = messages.by_name("WMO301").namespace("3.2")
    assert stuf.functie_problem("WMO301", ns) is None
    assert stuf.functie_problem("wmo301", ns) is None
    assert "WMO301" in (stuf.functie_problem("WMO305", ns) or "")
    assert stuf.functie_problem("WMO301", "urn:other") is not None
    du01 = stufcodes.parse_numbers(stufcodes.DEFAULT_DU01)
    assert stufcodes.berichtcode(messages.by_name("WMO301"), du01) == "Di01"
    assert stufcodes.berichtcode(messages.by_name("JW302"), du01) == "Du01"
    assert stufcodes.berichtcode(messages.by_name("WMO325"), du01) == "Du01"
    assert stufcodes.berichtcode(messages.by_name("WMO302"), frozenset()) == "Di01"
    with pytest.raises(ValueError, match="not an iStandaarden message number"):
        stufcodes.parse_numbers("302, x")


def test_the_code_table_and_its_overrides() -> None:
    assert stufcodes.code_for("invalid", "schema", {}) == "IB001"
    table = stufcodes.parse_code_table("invalid/schema=IB014, envelope/*=IB999")
    assert stufcodes.code_for("invalid", "schema", table) == "IB014"
    assert stufcodes.code_for("envelope", "base64", table) == "IB999"
    assert stufcodes.code_for("unavailable", "busy", {}) == stufcodes.NO_CODE
    for bad in ("invalid/schema", "invalid=IB1", "invalid/schema=TOOLONGCODE"):
        with pytest.raises(ValueError, match="error/reason=CODE"):
            stufcodes.parse_code_table(bad)
