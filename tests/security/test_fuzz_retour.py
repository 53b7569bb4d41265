"""Fuzzing the validation engine and the retour builder with mutated valid messages.

Each example takes a valid fixture of any loaded pack and applies a few mutations (changed
values, swapped or moved elements, omissions, duplications). The engine never raises; every
rejection names a rule; every verdict a retour answers gets one that validates against the
answer's schema, and an XSD-level verdict gets none.
"""

from __future__ import annotations

import copy
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hub.domain.findings import Level
from hub.domain.retour import NoRetour, RetourContext, build_retour
from hub.domain.validation import Outcome, Validator
from hub.domain.xmlcodec import parse_message, serialize
from hub.ops.packgen.output import FIXTURES_DIR
from tests.packkit import default_packs

PACKS = default_packs()
VALIDATOR = Validator(PACKS, clock=lambda: date(2025, 7, 1))
CTX = RetourContext("FUZZ1", date(2025, 7, 1), "2.10.5")
FIXTURES = [
    path.read_bytes()
    for pm in PACKS
    if (path := FIXTURES_DIR / pm.pack.dir.name / f"{pm.name}.xml").exists()
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1",
            "01",
            "99",
            "999999999",
            "174285918",
            "2025-02-30",
            "2025-07-01",
            "1900-01-01",
            "9999-12-31",
            "-1",
            "0363",
            "65656055",
            "X" * 200,
            "1.5",
            "true",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12),
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    root = parse_message(draw(st.sampled_from(FIXTURES)))
    for _ in range(draw(st.integers(1, 4))):
        elements = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
        if not elements:
            break
        el = draw(st.sampled_from(elements))
        parent = el.getparent()
        assert parent is not None
        ops = ["value", "same-shape", "same-shape", "same-shape", "omit", "duplicate", "swap"]
        op = draw(st.sampled_from([*ops, "to-end"]))
        if op == "same-shape":
            # Other digits in the same places: mostly schema-valid, often breaking a rule (an
            # 11-check, a date order, a code list), so the retour builder gets work.
            if len(el) or not el.text:
                continue
            digits = draw(st.lists(st.sampled_from("0123456789"), min_size=len(el.text)))
            el.text = "".join(
                d if c.isdigit() else c for c, d in zip(el.text, digits, strict=False)
            )
        elif op == "value":
            if len(el):
                continue  # only simple elements carry values
            el.text = draw(VALUES)
        elif op == "omit":
            parent.remove(el)
        elif op == "duplicate":
            el.addnext(copy.deepcopy(el))
        elif op == "swap":
            following = el.getnext()
            if following is not None:
                following.addnext(el)
        else:
            parent.append(el)
    return serialize(root)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_engine_never_raises_and_every_answerable_verdict_gets_a_valid_retour(
    data: bytes,
) -> None:
    verdict = VALIDATOR.validate(data)
    if verdict.outcome is not Outcome.VALID:
        assert verdict.findings, verdict
    for f in verdict.findings:
        assert f.rule, f
        assert f.location, f
    mt = verdict.message_type
    if verdict.root is None or mt is None or not mt.is_heen:
        return
    if not verdict.answerable:
        assert any(f.level is Level.XSD for f in verdict.findings)
        try:
            build_retour(verdict.root, verdict.findings, CTX, PACKS)
        except NoRetour:
            return
        raise AssertionError("an XSD-level verdict got a retour")
    retour = build_retour(verdict.root, verdict.findings, CTX, PACKS)
    assert mt.answer is not None
    assert verdict.pack_message is not None
    pack = verdict.pack_message.pack
    answer = PACKS.get(pack.standard, pack.release, mt.answer)
    assert answer.schema.validate(retour), (
        str(answer.schema.error_log),
        [f.rule for f in verdict.findings],
        etree.tostring(retour)[:2000],
    )
