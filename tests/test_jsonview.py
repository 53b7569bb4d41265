"""The JSON view of messages (hub/domain/jsonview.py) and its JSON Schemas (docs/json/): XML →
JSON → XML keeps the canonical XML of the maximal and minimal instance of every message of every
pack, the JSON matches its published schema, and a bad JSON body says why. Pure: no services."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from hub.domain.jsonview import MESSAGE_KEY, RELEASE_KEY, JsonView, JsonViewError
from hub.domain.messages import CATALOGUE, MessageType
from hub.ops.jsonschema_doc import COMMAND, file_of, render, write
from hub.ops.packgen.instances import Kind, Model, build, serialize
from hub.ops.packgen.packspec import PACKS, PackSpec
from tests.packkit import default_packs

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs" / "json"
CASES = [(spec, mt) for spec in PACKS for mt in spec.messages()]
IDS = [f"{spec.folder}/{mt.name}" for spec, mt in CASES]


@pytest.fixture(scope="module")
def view() -> JsonView:
    return JsonView(default_packs())


@pytest.fixture(scope="module")
def rendered(view: JsonView) -> dict[str, str]:
    return render(view)


def _c14n(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml), method="c14n2")


def _instance(spec: PackSpec, mt: MessageType, kind: Kind) -> bytes:
    return serialize(build(Model(spec, mt), kind)[0])


@pytest.mark.parametrize(("spec", "mt"), CASES, ids=IDS)
def test_xml_to_json_to_xml_keeps_the_canonical_xml_and_matches_the_schema(
    spec: PackSpec, mt: MessageType, view: JsonView, rendered: dict[str, str]
) -> None:
    pm = default_packs().get(spec.standard, spec.release, mt.name)
    validator = jsonschema.Draft202012Validator(json.loads(rendered[file_of(pm)]))
    for kind in Kind:
        xml = _instance(spec, mt, kind)
        data = view.decode(xml)
        assert (data[MESSAGE_KEY], data[RELEASE_KEY]) == (mt.name, spec.release)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, (kind, errors[:5])
        back = view.encode(json.dumps(data).encode())
        assert _c14n(back) == _c14n(xml), kind
        assert pm.schema.validate(etree.fromstring(back))


def test_the_shape_is_typed_without_namespaces_and_repeating_elements_are_lists(
    view: JsonView,
) -> None:
    data = view.decode(_instance(PACKS[0], CATALOGUE["WMO301"], Kind.MINIMAL))
    header = data["Header"]
    assert header["BerichtVersie"] == 3
    assert header["BerichtCode"] == "414"
    assert header["BerichtIdentificatie"]["Dagtekening"] == "2025-01-01"
    products = data["Client"]["ToegewezenProducten"]["ToegewezenProduct"]
    assert isinstance(products, list)
    assert len(products) == 1
    assert not any(":" in key or "{" in key for key in _keys(data))


def _keys(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [k for k, v in data.items() for k in (k, *_keys(v))]
    if isinstance(data, list):
        return [k for v in data for k in _keys(v)]
    return []


def _minimal_301(view: JsonView) -> dict[str, Any]:
    return view.decode(_instance(PACKS[0], CATALOGUE["WMO301"], Kind.MINIMAL))


@pytest.mark.parametrize(
    ("change", "location", "words"),
    [
        (lambda d: d["Client"].update(Bsn="12"), "/Bericht/Client/Bsn", "pattern"),
        (lambda d: d["Header"].update(BerichtVersie="x"), "/Bericht/Header/BerichtVersie",
         "BerichtVersie is a whole number (a JSON number), not a string"),
        (lambda d: d["Header"].update(Afzender=3074), "/Bericht/Header/Afzender",
         "Afzender is text, a JSON string"),
        (lambda d: d["Client"].update(Onbekend="1"), "/Bericht/Client", "Onbekend"),
        (lambda d: d["Client"].pop("Bsn"), "/Bericht/Client", "Bsn"),
        (lambda d: d["Client"].update(Geslacht=None), "/Bericht/Client/Geslacht", "null"),
        # docs/json.md: an element that occurs at most once is never a list, one that may
        # repeat always is; xmlschema alone would take both.
        (lambda d: d["Client"].update(Bsn=[d["Client"]["Bsn"]]), "/Bericht/Client/Bsn",
         "Bsn occurs at most once, so its value is never a list"),
        (lambda d: d.update(Header=[d["Header"]]), "/Bericht/Header", "never a list"),
        (lambda d: d["Client"]["ToegewezenProducten"].update(
            ToegewezenProduct=d["Client"]["ToegewezenProducten"]["ToegewezenProduct"][0]),
         "/Bericht/Client/ToegewezenProducten/ToegewezenProduct", "always a list"),
        # Sentences a person reads, not Python's ("Date.__init__() missing 2 required ...").
        (lambda d: d["Header"]["BerichtIdentificatie"].update(Dagtekening=20250101),
         "/Bericht/Header/BerichtIdentificatie/Dagtekening", 'a JSON string such as "2025-01-31"'),
        (lambda d: d["Header"]["BerichtIdentificatie"].update(Dagtekening="morgen"),
         "/Bericht/Header/BerichtIdentificatie/Dagtekening", "a date (2025-01-31)"),
        (lambda d: d.update(Header="x"), "/Bericht/Header", "its value is an object, not a string"),
    ],
    ids=["pattern", "not-a-number", "number-for-a-string", "unknown-key", "missing", "null",
         "list-for-one", "list-for-a-group", "object-for-a-list", "number-for-a-date",
         "not-a-date", "string-for-a-group"],
)  # fmt: skip
def test_a_schema_error_names_its_place_in_the_finding_shape(
    view: JsonView, change: Any, location: str, words: str
) -> None:
    data = _minimal_301(view)
    bsn = data["Client"]["Bsn"]
    change(data)
    with pytest.raises(JsonViewError) as caught:
        view.encode(json.dumps(data).encode())
    error = caught.value
    assert error.reason == "schema"
    first = error.findings[0]
    assert (first.rule, first.location) == ("XSD", location), error.findings
    assert words in " ".join(f.sentence for f in error.findings)
    assert error.detail == f"{first.location}: {first.sentence}"
    assert "3074" not in error.detail  # never the value (it may be a BSN)
    assert "'x'" not in error.detail
    sentences = " ".join(f.sentence for f in error.findings)
    assert bsn not in sentences
    assert "morgen" not in sentences
    for python in ("<class", "__", "unpack", "object is not", "elementpath"):
        assert python not in sentences


def test_a_stored_message_the_schema_refuses_is_no_json_and_its_error_names_no_value(
    view: JsonView,
) -> None:
    # The adapter logs why a download has no JSON view: never the value (a BSN).
    xml = (ROOT / "tests" / "fixtures" / "iwmo-3.2" / "WMO305.xml").read_bytes()
    bsn = re.search(rb"<Bsn>(\d+)</Bsn>", xml)
    assert bsn is not None
    broken = xml.replace(bsn.group(0), b"<Bsn>" + bsn.group(1)[:-1] + b"X</Bsn>", 1)
    with pytest.raises(ValueError, match=r"^/Bericht/Client/Bsn: ") as caught:
        view.decode(broken)
    assert bsn.group(1)[:-1].decode() not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<Bericht/>", "not_json"),
        (b"\xff\xfe{", "not_json"),
        (b"[" * 100_000, "not_json"),  # nesting deeper than the parser goes
        (b'["WMO301"]', "not_object"),
        (b'{"Header": {}}', "no_message"),
        (b'{"$message": "WMO999", "$release": "3.2"}', "unknown_message"),
        (b'{"$message": "WMO301", "$release": "9.9"}', "unknown_message"),
        (b'{"$message": "WMO301", "$release": "3.2", "Header": "x"}', "schema"),
    ],
)
def test_a_body_that_is_no_message_says_why(view: JsonView, body: bytes, reason: str) -> None:
    with pytest.raises(JsonViewError) as caught:
        view.encode(body)
    assert caught.value.reason == reason, caught.value.detail
    assert caught.value.detail


def test_every_message_has_its_schema_in_docs_and_none_is_stale(
    rendered: dict[str, str],
) -> None:
    assert len(rendered) == len(default_packs())
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.glob("*/*.schema.json")}
    assert on_disk == set(rendered), f"docs/json is stale: run `{COMMAND}`"
    for name, text in rendered.items():
        assert (DOCS / name).read_text(encoding="utf-8") == text, f"{name} is stale: `{COMMAND}`"
    jsonschema.Draft202012Validator.check_schema(
        json.loads(rendered["iwmo-3.2/WMO301.schema.json"])
    )


def test_the_schema_refuses_what_the_encoder_refuses(
    view: JsonView, rendered: dict[str, str]
) -> None:
    # Guard against a generated schema that says less than the XSD where it matters.
    schema = json.loads(rendered["iwmo-3.2/WMO301.schema.json"])
    data = _minimal_301(view)
    data["Client"]["Bsn"] = "12345678"  # 8 digits: LDT_BurgerServicenummer wants 9
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)
    data = _minimal_301(view)
    data["Header"]["BerichtVersie"] = 4
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)


def test_the_generator_writes_one_file_per_message_and_drops_what_is_gone(
    view: JsonView, tmp_path: Path
) -> None:
    gone = tmp_path / "iwmo-3.1" / "WMO301.schema.json"
    gone.parent.mkdir()
    gone.write_text("{}", encoding="utf-8")
    written = write(tmp_path, view)
    assert len(written) == len(default_packs())
    assert not gone.exists()
    assert (tmp_path / "ijw-3.2" / "JW301.schema.json").is_file()
