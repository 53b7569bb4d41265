"""The 305's cheap rule paths (value first, parent after) keep every verdict."""

from __future__ import annotations

from hub.domain.messages import by_name
from hub.domain.rules.base import RuleContext, parent_is

from ._xml import TODAY, client, message, of, run, start


def test_a_date_after_the_dagtekening_outside_its_parent_is_not_tr134s() -> None:
    # Not XSD-valid, but the rules must still read only the elements their rule names.
    body = client(start("2025-04-01"), start("2025-04-06"), container="StartProducten")
    body = body.replace("<Geslacht>", "<Begindatum>2099-01-01</Begindatum><Geslacht>")
    found = of(run(message("wmo305", body, dagtekening="2025-04-05"), "WMO305"), "TR134")
    assert [f.location for f in found] == [
        "/Bericht/Client/StartProducten/StartProduct[2]/Begindatum"
    ]


def test_a_status_outside_a_startproduct_is_not_cs058s() -> None:
    body = client(start(status="2"), container="StartProducten")
    body = body.replace("<Geslacht>", "<StatusAanlevering>2</StatusAanlevering><Geslacht>")
    found = of(run(message("wmo305", body), "WMO305"), "CS058")
    assert [f.location for f in found] == [
        "/Bericht/Client/StartProducten/StartProduct/StatusAanlevering"
    ]


def test_tr002_on_29_february_takes_the_28th_120_years_before() -> None:
    def tr002(birth: str) -> int:
        body = client(start("2020-02-01"), birth=birth, container="StartProducten")
        root = message("wmo305", body, dagtekening="2020-02-29")
        return len(of(run(root, "WMO305"), "TR002"))

    assert tr002("1900-02-27") == 1
    assert tr002("1900-02-28") == 0


def test_tr101_still_compares_keys_when_another_begindatum_repeats_one() -> None:
    body = client(start("2025-04-01"), start("2025-04-02"), container="StartProducten")
    body = body.replace("<Geslacht>", "<Begindatum>2025-04-01</Begindatum><Geslacht>")
    assert of(run(message("wmo305", body), "WMO305"), "TR101") == []


def test_texts_and_parent_is_read_what_each_reads() -> None:
    body = client(start("2025-04-01"), start(" 2025-04-02 "), container="StartProducten")
    root = message("wmo305", body)
    ctx = RuleContext(root, by_name("WMO305"), TODAY)
    assert ctx.texts("Begindatum") == ["2025-04-01", "2025-04-02"]
    assert all(parent_is(el, "StartProduct") for el in ctx.each("Begindatum"))
    assert not parent_is(ctx.each("Bsn")[0], "StartProduct")
    assert ctx.dagtekening_text == "2025-04-05"
