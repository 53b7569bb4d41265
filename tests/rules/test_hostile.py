"""No rule raises on hostile input: maximal, minimal and mutated instances of every message
(from hub.ops.packgen.instances) go through hub.domain.validation and
hub.domain.rules.check_message; findings are fine, an exception is not (rules never raise on
odd input, design.md)."""

from __future__ import annotations

import copy
from datetime import date
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hub.domain import xmlcodec
from hub.domain.messages import MessageType
from hub.domain.rules import check_message
from hub.domain.validation import Validator
from hub.ops.packgen.instances import Kind, Leaf, Model, build, mutations
from hub.ops.packgen.packspec import PACKS, PackSpec
from tests.packkit import default_packs

MESSAGES: list[tuple[PackSpec, MessageType]] = [(s, mt) for s in PACKS for mt in s.messages()]
TODAY = date(2026, 1, 15)


@cache
def _validator() -> Validator:
    return Validator(default_packs(), clock=lambda: TODAY)


@cache
def _instance(index: int, kind: Kind) -> tuple[etree._Element, tuple[Leaf, ...]]:
    spec, mt = MESSAGES[index]
    root, leaves = build(Model(spec, mt), kind)
    return root, tuple(leaves)


def _run(root: etree._Element, name: str) -> None:
    data = xmlcodec.serialize(root)
    _validator().validate(data)
    # The rules also see trees the XSD would refuse: they must still not raise.
    check_message(xmlcodec.parse_message(data), name, today=TODAY)


_ODD_TEXT = st.one_of(
    st.sampled_from(["", " ", "0", "-1", "99999999999999999999", "2025-02-30", "x" * 300]),
    st.text(max_size=40),
)


@st.composite
def hostile(draw: st.DrawFn) -> tuple[etree._Element, str]:
    index = draw(st.integers(0, len(MESSAGES) - 1))
    kind = draw(st.sampled_from(list(Kind)))
    base, leaves = _instance(index, kind)
    root = copy.deepcopy(base)
    nodes: list[Any] = list(root.iter())
    for _ in range(draw(st.integers(0, 3))):
        leaf = draw(st.sampled_from(leaves))
        action = draw(st.sampled_from(["facet", "text", "drop", "twice"]))
        node = nodes[leaf.index]
        parent = node.getparent()
        if action == "facet" and (options := mutations(leaf.facets)):
            node.text = draw(st.sampled_from(options)).value
        elif action == "text":
            text = draw(_ODD_TEXT)
            node.text = "".join(c for c in text if c.isprintable() and c not in "\x00")
        elif action == "drop" and parent is not None:
            parent.remove(node)
        elif action == "twice" and parent is not None:
            node.addnext(copy.deepcopy(node))
    return root, MESSAGES[index][1].name


def test_every_maximal_and_minimal_instance_passes_through_without_raising() -> None:
    for index, (_, mt) in enumerate(MESSAGES):
        for kind in Kind:
            _run(copy.deepcopy(_instance(index, kind)[0]), mt.name)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hostile())
def test_mutated_instances_never_make_a_rule_raise(case: tuple[etree._Element, str]) -> None:
    root, name = case
    _run(root, name)
