"""One past every limit is refused: for each simple type (and local restriction) in use in the
iWmo/iJw packs, each of its facets and enumerations is broken in turn in a valid instance, and
the pack's lxml schema refuses it. The cases come from the model, not from a hand-made list."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from lxml import etree

from hub.domain.messages import MessageType
from hub.domain.packs import PackRegistry
from hub.ops.packgen.instances import Kind, Leaf, Model, build, mutations
from hub.ops.packgen.packspec import PACKS, PackSpec
from tests.packkit import default_packs


@dataclass(frozen=True)
class Case:
    spec: PackSpec
    message: MessageType
    leaf: Leaf
    facet: str
    value: str

    @property
    def id(self) -> str:
        return f"{self.spec.standard.value}-{self.leaf.facets.name}-{self.facet}"


def _cases() -> list[Case]:
    """Per pack, the first element of each simple type in use, with every facet broken."""
    out: list[Case] = []
    for spec in PACKS:
        if spec.hub_model:
            continue
        seen: set[str] = set()
        for mt in spec.messages():
            _, leaves = build(Model(spec, mt), Kind.MAXIMAL)
            for leaf in leaves:
                if leaf.facets.name in seen:
                    continue
                seen.add(leaf.facets.name)
                out += [Case(spec, mt, leaf, m.facet, m.value) for m in mutations(leaf.facets)]
    return out


CASES = _cases()
_INSTANCES: dict[str, etree._Element] = {}


@pytest.fixture(scope="module")
def registry() -> PackRegistry:
    return default_packs()


def _instance(spec: PackSpec, mt: MessageType) -> etree._Element:
    if mt.name not in _INSTANCES:
        _INSTANCES[mt.name] = build(Model(spec, mt), Kind.MAXIMAL)[0]
    return copy.deepcopy(_INSTANCES[mt.name])


def test_cases_cover_every_kind_of_facet() -> None:
    facets = {c.facet for c in CASES}
    assert facets == {
        "maxLength", "minLength", "maxInclusive", "minInclusive", "enumeration", "pattern"
    }  # fmt: skip
    names = {c.leaf.facets.name for c in CASES}
    assert {"LDT_Taal", "LDT_Communicatievorm", "LDT_Postcode", "Header/BerichtCode"} <= names
    assert "Declaratie/DeclaratieNummer" in names


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_past_the_limit_is_refused(case: Case, registry: PackRegistry) -> None:
    schema = registry.get(case.spec.standard, case.spec.release, case.message.name).schema
    root = _instance(case.spec, case.message)
    assert schema.validate(root), schema.error_log  # the unbroken instance is valid
    element: Any = list(root.iter())[case.leaf.index]
    element.text = case.value
    assert not schema.validate(root), (
        f"{case.message.name} {case.leaf.path} = {case.value!r} ({case.facet}) was accepted"
    )
