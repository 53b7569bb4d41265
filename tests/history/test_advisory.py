"""Advisory mode, pure: the heenbericht decision in enforce and advisory mode, the effects a
message routed in advisory mode adds, the modes file and the lookup order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from lxml import etree

from hub.domain import decide, events
from hub.domain.advisory import (
    DEMO_FILE,
    Mode,
    enforce_everywhere,
    gemeente_of,
    load_modes,
    lookup,
    parse_mode,
    routed_effects,
)
from hub.domain.decide import Context, Decision, Incoming
from hub.domain.errors import ConfigError
from hub.domain.history import HistoryFacts, HistoryState, evaluate, extract
from hub.domain.history.facts import StartKey
from hub.domain.validation import Outcome, Validator
from hub.domain.xmlcodec import serialize
from tests.packkit import default_packs

from ._build import SECRET, Replay, message, start, stop

TODAY = date(2025, 7, 21)
_VALIDATOR = Validator(default_packs(), clock=lambda: TODAY)


def _ctx(mode: Mode) -> Context:
    return Context(
        packs=default_packs(),
        egress_topic=lambda node: f"egress.{node}",
        dlq_topic="dlq",
        today=lambda: TODAY,
        deadline=lambda _at, _mt: None,
        history_mode=lambda gemeente: mode if gemeente == "0363" else Mode.ENFORCE,
    )


def _decide(
    mode: Mode, root: etree._Element, state: HistoryState | None = None
) -> tuple[Decision, HistoryFacts]:
    """The fixture aanbieder's heenbericht to gemeente 0363, decided as intake does."""
    payload = serialize(root)
    item = Incoming(uuid4(), "vecozo", "65656055", datetime.now(UTC), payload, 0, 0, "ingress")
    verdict = _VALIDATOR.validate(payload)
    assert verdict.message_type is not None
    facts = extract(verdict.root, verdict.message_type.name, SECRET, message_id=item.id)
    outcome = evaluate(facts, state or HistoryState())
    found = outcome.findings if verdict.outcome is Outcome.VALID else ()
    decision = decide.heen(
        _ctx(mode), item, verdict, None, found, outcome.effects, lambda: "H1", facts=facts
    )
    return decision, facts


def _types(decision: Decision) -> list[str]:
    return [e.type for e in decision.events]


def test_enforce_answers_a_305_on_an_unknown_toewijzing_with_a_retour() -> None:
    decision, _ = _decide(Mode.ENFORCE, message("WMO305", start()))
    assert decision.rows[0].status == "rejected"
    assert decision.rows[0].retourcodes == ("9019",)
    assert [m.topic for m in decision.outbox] == ["egress.vecozo"]  # the retour, to the sender
    assert _types(decision) == ["message.rejected"]
    assert decision.effects is None
    assert decision.advisory == ()


def test_advisory_routes_it_and_reports_the_finding() -> None:
    decision, _ = _decide(Mode.ADVISORY, message("WMO305", start()))
    row = decision.rows[0]
    assert row.status == "accepted"
    assert row.retourcodes == ()
    assert decision.findings == []  # nothing refused it
    assert [(m.topic, m.key) for m in decision.outbox] == [("egress.ggk", b"0363")]
    assert _types(decision) == ["message.accepted", "message.advisory-finding"]
    data = decision.events[1].data
    assert data["gemeente"] == "0363"
    assert data["rules"] == ["TR019"]
    assert data["retourcodes"] == ["9019"]
    assert [(a.gemeente, a.rule, a.retourcode) for a in decision.advisory] == [
        ("0363", "TR019", "9019")
    ]
    assert decision.advisory[0].message_id == str(row.id)
    assert decision.effects is not None
    assert [k.toewijzing for k in decision.effects.new_starts] == ["300201"]


def test_the_advisory_event_fits_its_schema_and_names_no_sentence() -> None:
    decision, _ = _decide(Mode.ADVISORY, message("WMO305", start()))
    spec = decision.events[1]
    record = events.to_outbox("events", spec.type, spec.row, spec.data)
    event = events.parse_event(record.payload)
    assert isinstance(event, events.MessageAdvisoryFinding)
    assert event.data.gemeente == "0363"
    assert event.data.rules == ("TR019",)
    assert [f.location for f in event.data.findings] == [
        "/Bericht/Client/StartProducten/StartProduct"
    ]
    assert b"sentence" not in record.payload
    assert b"toewijzing for this" not in record.payload


def test_a_partly_failing_305_is_answered_by_the_hub_in_enforce_and_routed_in_advisory() -> None:
    replay = Replay()
    replay.ok(message("WMO301"))  # the fixture's toewijzingen 300201 and 300202
    lines = (start(), start("2025-04-03", nummer="999999"))
    enforced, _ = _decide(Mode.ENFORCE, message("WMO305", *lines), replay.state)
    assert enforced.rows[0].status == "rejected"  # the hub's retour grants the good line
    assert enforced.outbox[0].topic == "egress.vecozo"
    advised, _ = _decide(Mode.ADVISORY, message("WMO305", *lines), replay.state)
    assert advised.rows[0].status == "accepted"
    assert advised.outbox[0].topic == "egress.ggk"  # whole, to the gemeente, which answers
    assert advised.effects is not None
    # Both lines count from now on, the one with the finding too: the receiver has it.
    assert sorted(k.toewijzing for k in advised.effects.new_starts) == ["300201", "999999"]


def test_a_stop_after_an_advised_start_finds_its_start() -> None:
    replay = Replay()
    decision, _ = _decide(Mode.ADVISORY, message("WMO305", start()))
    assert decision.effects is not None
    replay.state = replay.state.with_effects(decision.effects)
    ended, _ = _decide(Mode.ADVISORY, message("WMO307", stop()), replay.state)
    # Only TR019 again (the toewijzing is still unknown), not TR382: the start is known.
    assert ended.events[1].data["rules"] == ["TR019"]


def test_in_message_findings_still_refuse_in_advisory_mode() -> None:
    root = message("WMO305", start(), bsn="123456789")  # fails the 11-proef (CS002)
    decision, _ = _decide(Mode.ADVISORY, root)
    assert decision.rows[0].status == "rejected"
    assert "message.advisory-finding" not in _types(decision)
    assert decision.advisory == ()


def test_a_clean_message_in_advisory_mode_reports_nothing() -> None:
    replay = Replay()
    replay.ok(message("WMO301"))
    decision, _ = _decide(Mode.ADVISORY, message("WMO305", start()), replay.state)
    assert decision.rows[0].status == "accepted"
    assert _types(decision) == ["message.accepted"]


def test_another_gemeentes_mode_is_not_used() -> None:
    root = message("WMO305", start())
    _, facts = _decide(Mode.ADVISORY, root)
    assert gemeente_of(facts) == "0363"
    other = _ctx(Mode.ADVISORY)
    assert other.history_mode("0344") is Mode.ENFORCE


def test_without_a_lookup_every_gemeente_enforces() -> None:
    ctx = Context(
        packs=default_packs(),
        egress_topic=str,
        dlq_topic="dlq",
        today=lambda: TODAY,
        deadline=lambda _at, _mt: None,
    )
    assert ctx.history_mode is enforce_everywhere
    assert ctx.history_mode("0363") is Mode.ENFORCE


def test_routed_effects_keep_a_delete_after_a_delivery() -> None:
    root = message("WMO305", start(), start(status="3"))
    facts = extract(root, "WMO305", SECRET)
    outcome = evaluate(facts, HistoryState())
    effects = routed_effects(facts, outcome.effects)
    assert effects is not None
    key = facts.starts[0].key
    assert isinstance(key, StartKey)
    assert effects.new_starts == (key,)
    assert effects.deleted_starts == (key,)
    assert routed_effects(facts, None) is None


# --- the modes file and the lookup -------------------------------------------------------------


def test_the_built_in_file_enforces_the_demo_gemeenten() -> None:
    assert load_modes(DEMO_FILE) == {g: Mode.ENFORCE for g in ("0363", "0344", "0599", "0518")}


def test_lookup_order_database_then_file_then_default() -> None:
    mode = lookup(
        {"0363": Mode.ADVISORY}, {"0363": Mode.ENFORCE, "0344": Mode.ENFORCE}, Mode.ADVISORY
    )
    assert mode("0363") is Mode.ADVISORY
    assert mode("0344") is Mode.ENFORCE
    assert mode("0014") is Mode.ADVISORY  # configured nowhere: a gemeente new to the hub


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[modes]\n"363" = "enforce"\n', "'363' is not a 4-digit gemeentecode"),
        ('[modes]\n"0363" = "strict"\n', "0363: unknown history mode 'strict'"),
        ('[modes]\n"0363" = 1\n', "mode of 0363 must be a string"),
        ('[mode]\n"0363" = "enforce"\n', "unknown key 'mode'"),
        ("modes = 3\n", "modes must be a table"),
        ("[modes\n", "not valid TOML"),
    ],
)
def test_a_bad_modes_file_is_named_with_the_reason(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "modes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="history modes file") as raised:
        load_modes(path)
    assert error in str(raised.value)


def test_a_missing_modes_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HUB_HISTORY_MODES_FILE"):
        load_modes(tmp_path / "none.toml")


def test_parse_mode() -> None:
    assert parse_mode(" Advisory ") is Mode.ADVISORY
    with pytest.raises(ValueError, match="use enforce or advisory"):
        parse_mode("warn")
