"""Pure parts: the policy file, routes and ages, the notice builder, the late-start count."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from hub.domain import xmlcodec
from hub.domain.eigenbijdrage import lines, notices
from hub.domain.eigenbijdrage.lines import BirthDate, adult_on, route_of
from hub.domain.eigenbijdrage.periods import CHANGE, NEW, Entry, Period, Route
from hub.domain.eigenbijdrage.policy import DEMO_FILE, Policy, load_policy
from hub.domain.eigenbijdrage.signals import late_start
from hub.domain.errors import ConfigError
from hub.domain.history import facts as history_facts
from hub.domain.validation import Validator
from tests.packkit import default_packs

from . import _messages

MID = UUID("3f2b8c1e-7d4a-4e59-9b06-2c5d8e1f4a73")


def test_the_demo_policy_loads() -> None:
    book = load_policy(DEMO_FILE)
    assert not book.defaults.enabled
    assert book.for_gemeente("0363").enabled
    assert book.for_gemeente("0344").exempt_categories == {"08", "11", "12", "16", "17", "18"}
    assert book.for_gemeente("0599").temporary_stop_ends
    assert not book.for_gemeente("9999").enabled
    assert "15" not in book.for_gemeente("0363").abonnementstarief_categories
    assert "16" in book.for_gemeente("0363").abonnementstarief_categories  # all but BW count
    assert "16" not in book.for_gemeente("0344").abonnementstarief_categories  # exempted


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[defaults]\nenabled = 1\n", "[defaults]: enabled must be true or false"),
        ('[gemeente."363"]\nenabled = true\n', '[gemeente."363"]: not a 4-digit'),
        ('[gemeente."0363"]\ncolour = "red"\n', "unknown key(s) colour"),
        ('[gemeente."0363"]\nminimum_age = -1\n', "minimum_age must be a whole number"),
        ("[other]\n", "unknown top-level key(s) other"),
        ("not toml = = 1", "not valid TOML"),
        (
            '[gemeente."0363"]\ncategories = ["15"]\nbeschermd_wonen_categories = ["15"]\n',
            "category 15 is in both",
        ),
    ],
)
def test_a_bad_policy_is_one_line_naming_file_and_entry(
    tmp_path: Path, text: str, error: str
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"eigen-bijdrage policy file {path}")
    assert error in message


def test_missing_policy_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HUB_EB_POLICY_FILE"):
        load_policy(tmp_path / "nope.toml")


def test_routes_and_ages() -> None:
    on = Policy(enabled=True)
    adult = BirthDate(date(1950, 1, 1))
    assert route_of(on, "02", date(2025, 1, 6), adult) is Route.ABONNEMENTSTARIEF
    assert route_of(on, "15", date(2025, 1, 6), adult) is Route.BESCHERMD_WONEN
    assert route_of(on, "16", date(2025, 1, 6), adult) is Route.ABONNEMENTSTARIEF
    exempt = Policy(enabled=True, exempt_categories=frozenset({"16"}))
    assert route_of(exempt, "16", date(2025, 1, 6), adult) is None
    assert (
        route_of(Policy(enabled=True, beschermd_wonen=False), "15", date(2025, 1, 6), adult) is None
    )
    assert route_of(Policy(), "02", date(2025, 1, 6), adult) is None
    # A partly unknown birth date counts from its last possible day.
    assert not adult_on(BirthDate(date(2007, 1, 1), "1"), date(2025, 1, 30), 18)
    assert adult_on(BirthDate(date(2007, 1, 1), "1"), date(2025, 1, 31), 18)
    assert not adult_on(BirthDate(date(2007, 1, 1), "2"), date(2025, 12, 30), 18)
    assert adult_on(BirthDate(date(2008, 2, 29)), date(2026, 3, 1), 18)
    assert not adult_on(BirthDate(date(2008, 2, 29)), date(2026, 2, 28), 18)


def test_the_notice_validates_against_the_pack_and_the_rules() -> None:
    packs = default_packs()
    pm = notices.notice_pack_message(packs, Route.ABONNEMENTSTARIEF)
    header = notices.NoticeHeader("0363", "99000001", "EB0000000001", date(2025, 7, 21))
    entries = [
        Entry(MID, CHANGE, Period(date(2025, 1, 6), date(2025, 3, 31))),
        Entry(UUID(int=MID.int + 1), NEW, Period(date(2025, 5, 30))),
    ]
    root = notices.build_notice(pm, header, "174285917", BirthDate(date(1948, 3, 14), "1"), entries)
    verdict = Validator(packs).validate(notices.serialize(root))
    assert verdict.valid, verdict.findings
    assert verdict.message_type is not None
    assert verdict.message_type.name == "WMO405"
    assert verdict.envelope is not None
    assert (verdict.envelope.afzender, verdict.envelope.ontvanger) == ("0363", "99000001")


def test_an_invalid_notice_is_refused_without_quoting_its_values() -> None:
    pm = notices.notice_pack_message(default_packs(), Route.BESCHERMD_WONEN)
    header = notices.NoticeHeader("0363", "99000001", "EB0000000001", date(2025, 7, 21))
    with pytest.raises(notices.NoticeError) as caught:
        notices.build_notice(pm, header, "12345", BirthDate(date(1948, 3, 14)),
                             [Entry(MID, NEW, Period(date(2025, 1, 6)))])  # fmt: skip
    assert "12345" not in str(caught.value)
    assert "Bsn" in str(caught.value)


def test_late_start_counts_werkdagen_like_the_deadlines() -> None:
    monday = datetime(2025, 7, 21, 9, tzinfo=UTC)
    assert late_start(date(2025, 7, 14), monday, 5) is None
    assert late_start(date(2025, 7, 11), monday, 5) == 6
    # Koningsdag 2025 (Saturday 26 April) and Bevrijdingsdag (Monday 5 May) are no werkdagen.
    assert late_start(date(2025, 4, 25), datetime(2025, 5, 5, 9, tzinfo=UTC), 5) is None
    assert late_start(date(2025, 4, 25), datetime(2025, 5, 6, 9, tzinfo=UTC), 5) == 6


def test_read_source_reuses_the_facts_intake_extracted(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = b"eb-test-secret"
    message_id = UUID("3f1e2d4c-5b6a-4978-8a1b-2c3d4e5f6a7b")
    root = xmlcodec.parse_message(
        _messages.build("WMO305", [_messages.start(300201, "02", "2025-04-01")])
    )
    facts = history_facts.extract(root, "WMO305", secret, message_id=message_id)

    def read(given: history_facts.HistoryFacts | None) -> lines.Source | None:
        return lines.read_source(
            root, "WMO305", message_id, secret, lambda _: Policy(enabled=True),
            lambda *_: None, given,
        )  # fmt: skip

    expected = read(None)
    assert expected is not None
    assert expected.counted
    calls: list[UUID | None] = []
    real_extract = history_facts.extract

    def counting(*args: Any, **kwargs: Any) -> history_facts.HistoryFacts:
        calls.append(kwargs.get("message_id"))
        return real_extract(*args, **kwargs)

    monkeypatch.setattr(lines, "extract", counting)
    assert read(facts) == expected
    assert calls == []  # the given facts were used
    other = history_facts.extract(root, "WMO305", secret, message_id=UUID(int=1))
    assert read(other) == expected  # facts of another message are not taken
    assert calls == [message_id]
