"""Everything under deploy/: every YAML file parses (the same way PyYAML reads it, when it is
installed), every HUB_* name is a real setting, every OTEL_* name a real SDK variable, every
image is pinned, and the example configuration files load with the hub's own loaders."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from hub.domain.eigenbijdrage.policy import load_policy
from hub.domain.parties import load_parties

from .manifests import (
    DEPLOY,
    HUB_NAME,
    K8S,
    OTEL_NAME,
    ROOT,
    image_is_pinned,
    setting_names,
    yaml_files,
)
from .yamlish import YamlSubsetError, load_all, parse_all

TEXT_SUFFIXES = {".yaml", ".yml", ".env", ".toml", ".md", ""}


def _deploy_texts() -> list[Path]:
    files = [p for p in DEPLOY.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]
    return sorted([*files, ROOT / "docs" / "operations.md"])


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses_within_the_subset_and_as_pyyaml_reads_it(path: Path) -> None:
    documents = load_all(path)
    assert documents, f"{path} is empty"
    assert all(isinstance(d, dict) for d in documents)
    if importlib.util.find_spec("yaml") is not None:  # not a dependency; compare when present
        import yaml

        reference = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        assert documents == reference


def test_the_yaml_subset_reader() -> None:
    text = """\
# comment
a: 1
b: "x: y"  # trailing comment
c: 'it''s'
d:
  - one
  - k: v
    l: [1, "two", three]
  -
    nested: true
e:
- compact
f: |
  line one

  line two # kept
g: |-
  no newline
h: {}
i: ~
"j.k/l": -Xmx1g
---
second: 2.5
"""
    first, second = parse_all(text)
    assert first == {
        "a": 1,
        "b": "x: y",
        "c": "it's",
        "d": ["one", {"k": "v", "l": [1, "two", "three"]}, {"nested": True}],
        "e": ["compact"],
        "f": "line one\n\nline two # kept\n",
        "g": "no newline",
        "h": {},
        "i": None,
        "j.k/l": "-Xmx1g",
    }
    assert second == {"second": 2.5}


@pytest.mark.parametrize(
    "text",
    [
        "a: yes",  # YAML 1.1 boolean
        "a: 0644",  # YAML 1.1 octal
        "ports: [22:22]",  # sexagesimal
        "a: 2024-01-01",  # a date
        "a: &anchor x",
        "a: *alias",
        "a: !!str x",
        "a: {b: c}",
        "a: b\n  c",  # multi-line plain scalar
        "a: 1\na: 2",  # duplicate key
        "a: x: y",
        "a:\n\t- b",
    ],
)
def test_the_yaml_subset_reader_refuses_what_readers_disagree_on(text: str) -> None:
    with pytest.raises(YamlSubsetError):
        parse_all(text)


def test_every_hub_variable_in_deploy_is_a_setting() -> None:
    known = setting_names()
    for path in _deploy_texts():
        if not path.exists():
            continue
        unknown = set(HUB_NAME.findall(path.read_text(encoding="utf-8"))) - known
        assert not unknown, f"{path.relative_to(ROOT)} names settings that do not exist: {unknown}"


def test_every_otel_variable_in_deploy_is_one_the_sdk_reads() -> None:
    from opentelemetry import environment_variables as api_vars
    from opentelemetry.sdk import environment_variables as sdk_vars

    known = {n for module in (api_vars, sdk_vars) for n in dir(module) if n.startswith("OTEL_")}
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in known
    for path in _deploy_texts():
        if not path.exists():
            continue
        unknown = set(OTEL_NAME.findall(path.read_text(encoding="utf-8"))) - known
        assert not unknown, f"{path.relative_to(ROOT)}: unknown OTEL_ variables {unknown}"


def test_every_image_is_pinned_to_a_version() -> None:
    images = re.compile(r"^\s*(?:-\s+)?image:\s*(\S+)", re.M)
    found = []
    for path in yaml_files():
        for image in images.findall(path.read_text(encoding="utf-8")):
            found.append(image)
            assert image_is_pinned(image), f"{path.relative_to(DEPLOY)}: {image} is not pinned"
    assert len(found) >= 10
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for base in re.findall(r"^FROM\s+(\S+)", dockerfile, re.M):
        assert image_is_pinned(base), base


def test_example_party_registry_and_policy_load_with_the_hubs_loaders() -> None:
    parties = list(load_parties(K8S / "config" / "parties.toml"))
    assert {p.code for p in parties} >= {"0363", "65656055", "99000001"}
    load_policy(K8S / "config" / "eb-policy.toml")
