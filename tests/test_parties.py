"""The party registry file: the demo registry loads, and every mistake is one line that names
the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.domain.errors import ConfigError
from hub.domain.messages import Node, Role
from hub.domain.parties import (
    DEMO_FILE,
    TOKEN_PREFIX,
    Party,
    PartyError,
    kind_of,
    load_parties,
    make_party,
    new_token,
    token_digest,
)
from hub.ops.packgen.sampledata import CAK_PARTY_CODE, CASTS
from hub.settings import Settings


def _load(tmp_path: Path, text: str, cak_code: str = CAK_PARTY_CODE) -> None:
    path = tmp_path / "parties.toml"
    path.write_text(text, encoding="utf-8")
    load_parties(path, cak_code)


def _error(tmp_path: Path, text: str, cak_code: str = CAK_PARTY_CODE) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text, cak_code)
    message = str(caught.value)
    assert "\n" not in message
    assert str(tmp_path / "parties.toml") in message
    return message


def test_the_demo_registry_holds_every_fixture_party() -> None:
    registry = load_parties(DEMO_FILE)
    for cast in CASTS.values():
        assert registry.get(cast.gemeente) is not None
        assert registry.get(cast.tegenpartij) is not None
    for code in ("0363", "0344", "0599", "65656055", "41125003"):
        assert registry.get(code) is not None
    cak = registry.get(CAK_PARTY_CODE)
    assert cak is not None
    assert (cak.kind, cak.node) == (Role.CAK, Node.GGK)
    amsterdam = registry.get("0363")
    assert amsterdam is not None
    assert (amsterdam.kind, amsterdam.node) == (Role.GEMEENTE, Node.GGK)
    provider = registry.get("65656055")
    assert provider is not None
    assert (provider.kind, provider.node) == (Role.AANBIEDER, Node.VECOZO)
    indieners = [p for p in registry if p.may_submit_for]
    assert indieners
    assert all(p.node is Node.VECOZO for p in indieners)


def test_the_default_setting_is_the_demo_registry() -> None:
    assert Settings().parties_file == DEMO_FILE
    assert Settings().cak_party_code == CAK_PARTY_CODE


def test_kinds_follow_the_code() -> None:
    assert kind_of("0363") is Role.GEMEENTE
    assert kind_of("65656055") is Role.AANBIEDER
    assert kind_of(CAK_PARTY_CODE) is Role.CAK
    assert kind_of("12345678", cak_code="12345678") is Role.CAK
    for bad in ("363", "03630", "6565605", "ABCD", "", "0363 "):
        assert kind_of(bad) is None


def test_the_cak_is_always_a_party(tmp_path: Path) -> None:
    path = tmp_path / "parties.toml"
    path.write_text('[[party]]\ncode = "0363"\nname = "Amsterdam"\n', encoding="utf-8")
    registry = load_parties(path, "99000009")
    cak = registry.get("99000009")
    assert cak is not None
    assert cak.kind is Role.CAK
    assert registry.serves(Node.GGK, "99000009")
    assert not registry.serves(Node.VECOZO, "99000009")


def test_a_delegation_lets_an_indiener_send_as_another_party() -> None:
    indiener = make_party("98000017", "Kantoor", may_submit_for=["65656055"])
    assert indiener.may_send_as("98000017")
    assert indiener.may_send_as("65656055")
    assert not indiener.may_send_as("41125003")
    assert not indiener.may_send_as(None)
    plain = Party("65656055", "Aanbieder", Node.VECOZO, Role.AANBIEDER)
    assert plain.may_send_as("65656055")
    assert not plain.may_send_as("98000017")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[party]]\ncode = "363"\nname = "x"\n', "party #1 (363): code '363' is neither"),
        ('[[party]]\ncode = 363\nname = "x"\n', "party #1: code 363 is neither"),
        ('[[party]]\ncode = "0363"\n', "party #1 (0363): name must be a non-empty string"),
        (
            '[[party]]\ncode = "0363"\nname = "x"\nnode = "vecozo"\n',
            "party #1 (0363): node vecozo does not serve kind gemeente; ggk does",
        ),
        (
            '[[party]]\ncode = "65656055"\nname = "x"\nnode = "ggk"\n',
            "party #1 (65656055): node ggk does not serve kind aanbieder; vecozo does",
        ),
        (
            '[[party]]\ncode = "0363"\nname = "x"\nnode = "zorgdomein"\n',
            "party #1 (0363): node 'zorgdomein' is not one of ggk, vecozo",
        ),
        (
            '[[party]]\ncode = "65656055"\nname = "x"\nkind = "cak"\n',
            "party #1 (65656055): code 65656055 is of kind aanbieder, not cak",
        ),
        (
            '[[party]]\ncode = "0363"\nname = "a"\n[[party]]\ncode = "0344"\nname = "b"\n'
            '[[party]]\ncode = "0363"\nname = "c"\n',
            "party #3 (0363): duplicate code 0363 (first at party #1)",
        ),
        (
            '[[party]]\ncode = "98000017"\nname = "x"\nmay_submit_for = ["65656055"]\n',
            "party #1 (98000017): may_submit_for: unknown party 65656055",
        ),
        (
            '[[party]]\ncode = "98000017"\nname = "x"\nmay_submit_for = ["0363"]\n'
            '[[party]]\ncode = "0363"\nname = "y"\n',
            "party #1 (98000017): may_submit_for: 0363 is served by ggk, not by vecozo",
        ),
        (
            '[[party]]\ncode = "98000017"\nname = "x"\nmay_submit_for = ["98000017"]\n',
            "party #1 (98000017): may_submit_for: 98000017 is the party itself",
        ),
        (
            '[[party]]\ncode = "98000017"\nname = "x"\nmay_submit_for = "65656055"\n',
            "party #1 (98000017): may_submit_for must be a list",
        ),
        (
            '[[party]]\ncode = "0363"\nname = "x"\nemail = "a@b"\n',
            "party #1 (0363): unknown key(s) email",
        ),
        ('[parties]\ncode = "0363"\n', "unknown top-level key(s) parties"),
        ('party = "0363"\n', "`party` must be an array of tables"),
        ('[[party]\ncode = "0363"\n', "not valid TOML"),
    ],
)
def test_a_bad_file_is_one_line_naming_file_and_entry(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in _error(tmp_path, text)


def test_a_cak_entry_must_carry_the_configured_cak_code(tmp_path: Path) -> None:
    message = _error(
        tmp_path, '[[party]]\ncode = "99000001"\nname = "CAK"\nkind = "cak"\n', "99000009"
    )
    assert "code 99000001 is of kind aanbieder, not cak" in message


def test_a_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no such file .*HUB_PARTIES_FILE"):
        load_parties(tmp_path / "absent.toml")


def test_make_party_refuses_what_the_file_refuses() -> None:
    with pytest.raises(PartyError, match="node ggk does not serve kind aanbieder"):
        make_party("65656055", "x", node="ggk")
    with pytest.raises(PartyError, match="not a party code"):
        make_party("98000017", "x", may_submit_for=["6565605"])
    party = make_party(" 0363".strip(), "  Amsterdam ", node="ggk")
    assert party.name == "Amsterdam"


def test_tokens_are_random_prefixed_and_stored_as_digests() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert first.startswith(TOKEN_PREFIX)
    assert len(first) >= len(TOKEN_PREFIX) + 43  # 32 random bytes, base64url
    assert len(token_digest(first)) == 32
    assert token_digest(first) == token_digest(first)
    assert token_digest(first) != token_digest(second)
