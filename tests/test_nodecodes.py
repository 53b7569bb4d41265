"""The nearest node codes of every refusal kind (hub/domain/nodecodes.py), its generated copy in
docs/node-codes.md, and the known-receiver decision (hub/domain/routing.py): pure, no services."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.domain import nodecodes, routing
from hub.domain.messages import CATALOGUE, Node
from hub.domain.parties import DEMO_FILE, load_parties
from hub.ops.nodecodes_doc import COMMAND, render

ROOT = Path(__file__).parents[1]
G, V = Node.GGK, Node.VECOZO

# Every refusal kind an adapter answers (error, reason) and the code each adapter must carry:
# written out here, not read from the table, so a changed mapping is a failing test.
EXPECTED: dict[tuple[str, str], tuple[str | None, str | None]] = {
    ("unreadable", "not_well_formed"): ("IB001", "BRS14"),
    ("unreadable", "doctype"): ("IB001", "BRS14"),
    ("unreadable", "too_large"): ("IB003", "IB012"),
    ("too_large", "too_large"): ("IB003", "IB012"),
    ("unsupported_media_type", "content_type"): ("IB001", "BRS14"),
    ("unsupported_media_type", "content_encoding"): ("IB001", "BRS14"),
    ("invalid", "schema"): ("IB001", "IB014"),
    ("invalid", "unknown_message"): ("IB004", "IB004"),
    ("unauthenticated", "unauthenticated"): ("IB002", "BRS01"),
    # Client certificates (adapters/clientcert.py): the sender is not identified.
    ("unauthenticated", "certificate_required"): ("IB002", "BRS01"),
    ("unauthenticated", "certificate_unknown"): ("IB002", "BRS01"),
    ("unauthenticated", "certificate_expired"): ("IB002", "BRS01"),
    ("unauthenticated", "credentials_conflict"): ("IB002", "BRS01"),
    ("forbidden", "wrong_node"): ("IB002", "BRS01"),
    ("forbidden", "sender_mismatch"): ("IB006", "BRS03"),
    ("forbidden", "standard_not_allowed"): ("IB007", "IB008"),
    ("forbidden", "receiver_standard_not_allowed"): ("IB011", "BRS05"),
    ("invalid", "unknown_gemeente"): ("IB005", "BRS04"),
    ("invalid", "unknown_aanbieder"): ("IB010", "BRS04"),
    ("invalid", "not_the_cak"): ("IB007", "BRS33"),
    ("invalid", "wrong_receiver"): ("IB007", "BRS33"),
    ("frozen", "heen_freeze"): ("IB023", "IB004"),
    ("release_retired", "after_cutover"): ("IB023", "IB004"),
    ("invalid", "idempotency_key_reused"): ("IB016", "IB016"),
    ("invalid", "idempotency_key"): (None, None),
    ("timeout", "body_timeout"): (None, None),
    ("unavailable", "busy"): (None, None),
    ("unavailable", "database_unavailable"): (None, None),
    ("not_found", "not_in_inbox"): (None, None),
    ("not_found", "not_found"): (None, None),
    ("method_not_allowed", "method_not_allowed"): (None, None),
    # A ZIP archive refused whole (hub/domain/ziparchive.py).
    ("zip", "not_a_zip"): ("IB901", "BRS15"),
    ("zip", "empty"): ("IB905", "BRS21"),
    ("zip", "too_many_members"): ("IB902", "BRS16"),
    ("zip", "encrypted"): ("IB903", "BRS17"),
    ("zip", "member_too_large"): ("IB904", "BRS19"),
    ("zip", "total_too_large"): ("IB904", "BRS19"),
    ("zip", "compression_ratio"): ("IB901", "BRS15"),
    ("zip", "folder"): ("IB901", "BRS29"),
    ("zip", "unsafe_name"): ("IB901", "BRS29"),
    ("zip", "nested_zip"): ("IB901", "BRS15"),
    ("zip", "duplicate_name"): ("IB901", "BRS15"),
    ("zip", "not_xml"): ("IB001", "BRS14"),
    ("zip", "too_many_declaraties"): ("IB902", "BRS16"),
    ("zip", "mixed_declaraties"): ("IB901", "BRS15"),
    # The GGk door's SOAP envelope (issue #21; adapters/ggkdoor.py), GGK-like adapter only.
    ("envelope", "not_an_envelope"): ("IB001", None),
    ("envelope", "schema"): ("IB001", None),
    ("envelope", "base64"): ("IB001", None),
    ("envelope", "action_mismatch"): ("IB006", None),
    ("envelope", "functie_mismatch"): ("IB006", None),
    ("envelope", "party_mismatch"): ("IB006", None),
    ("envelope", "text_file"): ("IB004", None),
    ("envelope", "referentienummer_reused"): ("IB016", None),
    # The VECOZO door's push (issue #21; adapters/vecozodoor_push.py), VECOZO-like adapter only.
    ("metadata", "metadata"): (None, "IB017"),
    ("metadata", "contradicts_payload"): (None, "IB017"),
    ("metadata", "multipart"): (None, "IB017"),
    ("metadata", "content_type"): (None, "IB017"),
    ("invalid", "traceer_id_reused"): (None, "BRS114"),
}


@pytest.mark.parametrize(("kind", "codes"), EXPECTED.items(), ids=lambda v: str(v))
def test_each_refusal_kind_has_its_nearest_code_on_both_adapters(
    kind: tuple[str, str], codes: tuple[str | None, str | None]
) -> None:
    error, reason = kind
    assert nodecodes.nearest(error, reason) is not None, f"{kind} is not in the table"
    assert (nodecodes.node_code(G, error, reason), nodecodes.node_code(V, error, reason)) == codes


def test_every_row_is_checked_and_says_why() -> None:
    for row in nodecodes.TABLE:
        assert any(nodecodes.nearest(*k) is row for k in EXPECTED), f"{row.kind} not checked"
        assert row.basis.strip()
        for code in (row.ggk, row.vecozo):
            assert code is None or code in nodecodes.MEANINGS, code
        if row.ggk is None and row.vecozo is None:
            assert row.basis.startswith("none fits"), row.kind
    # The GGK side speaks Fo01 only; every code used has its list's meaning.
    assert all(r.ggk is None or r.ggk.startswith("IB") for r in nodecodes.TABLE)
    assert set(nodecodes.MEANINGS) == {
        c for r in nodecodes.TABLE for c in (r.ggk, r.vecozo) if c is not None
    }


def test_a_kind_the_table_does_not_list_has_no_code() -> None:
    assert nodecodes.node_code(G, "invalid", "message_id") is None  # a query parameter
    assert nodecodes.node_code(V, "refused", "refused") is None


def test_docs_node_codes_md_is_current() -> None:
    path = ROOT / "docs" / "node-codes.md"
    assert path.read_text(encoding="utf-8") == render(), f"docs/node-codes.md is stale: {COMMAND}"


# --- known receivers (pure) --------------------------------------------------------------------

PARTIES = load_parties(DEMO_FILE)


def _problem(name: str, receiver: str) -> routing.ReceiverProblem | None:
    return routing.receiver_problem(CATALOGUE[name], receiver, PARTIES.get(receiver))


def test_registered_receivers_of_the_right_kind_pass() -> None:
    assert _problem("WMO305", "0363") is None
    assert _problem("JW307", "0344") is None
    assert _problem("WMO301", "65656055") is None
    assert _problem("JW319", "41125003") is None
    assert _problem("WMO405", "99000001") is None
    assert _problem("WMO407", "99000001") is None


@pytest.mark.parametrize(
    ("name", "receiver", "reason"),
    [
        ("WMO305", "0999", "unknown_gemeente"),
        ("WMO323", "0999", "unknown_gemeente"),
        ("WMO301", "12345678", "unknown_aanbieder"),
        ("WMO301", "99000001", "wrong_receiver"),  # the CAK is no aanbieder
        ("WMO305", "65656055", "wrong_receiver"),  # a 305 goes to a gemeente
        ("WMO405", "0363", "not_the_cak"),
        ("WMO407", "12345678", "not_the_cak"),
        ("WMO305", "", "unknown_gemeente"),
    ],
)
def test_other_receivers_are_named_with_the_reason(name: str, receiver: str, reason: str) -> None:
    problem = _problem(name, receiver)
    assert problem is not None
    assert (problem.reason, problem.field, problem.value) == (reason, "Header/Ontvanger", receiver)
    assert f"Header/Ontvanger {receiver!r}" in problem.sentence
    assert name in problem.sentence


def test_retours_and_the_declaratie_antwoord_are_not_checked() -> None:
    # They go back the way their heenbericht came; the core links them or dead-letters them.
    assert _problem("WMO306", "0999") is None
    assert _problem("WMO325", "12345678") is None
    assert _problem("WMO406", "0363") is None
