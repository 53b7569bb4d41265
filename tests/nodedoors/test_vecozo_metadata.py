"""The VECOZO door's pure parts: reading the push's metadata (hub/domain/vsp.py), its checks
against the payload's header, the berichttype configuration and the berichtstatus of a ledger
state (hub/domain/vspstream.py). No services."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from adapters.registry import build_adapter_app
from hub.app import make_runtime
from hub.domain import vsp, vspstream, xmlcodec
from hub.domain.errors import ConfigError
from hub.settings import Settings
from tests.core.test_intake import _fixture
from tests.nodedoors.vecozokit import GEMEENTE, PROVIDER, _no_resources, metadata


def _read(data: object) -> vsp.BerichtMetadata | vsp.Errors:
    return vsp.read_metadata(json.dumps(data).encode())


def _errors(read: vsp.BerichtMetadata | vsp.Errors) -> set[str]:
    assert isinstance(read, dict), read
    return set(read)


def test_malformed_metadata_names_each_field() -> None:
    assert _errors(vsp.read_metadata(None)) == {"berichtMetadata"}
    assert _errors(vsp.read_metadata(b"{not json")) == {"berichtMetadata"}
    assert _errors(_read({})) == {"routeringgegevens", "referentiegegevens"}
    good = metadata(PROVIDER, GEMEENTE, "WMO305")
    assert isinstance(_read(good), vsp.BerichtMetadata)
    bad = json.loads(json.dumps(good))
    bad["referentiegegevens"]["traceerId"] = "a/b?c"  # not a URL path segment
    bad["routeringgegevens"]["geadresseerden"].append({"rol": "gemeente", "code": "0344"})
    bad["extra"] = 1
    assert _errors(_read(bad)) == {
        "referentiegegevens.traceerId",
        "routeringgegevens.geadresseerden",
        "extra",
    }


def _envelope(name: str, **replace: str) -> xmlcodec.Envelope:
    return xmlcodec.read_envelope(xmlcodec.parse_message(_fixture(name, **replace)))


def test_the_metadata_must_agree_with_the_header() -> None:
    types = vspstream.DEFAULTS
    # A retour's sender is its Ontvanger (the header is the heenbericht's).
    retour = _read(metadata(PROVIDER, GEMEENTE, "WMO302", versie=("03", "2")))
    assert isinstance(retour, vsp.BerichtMetadata)
    envelope = _envelope("WMO302")
    assert vsp.contradictions(retour, envelope, types.of("WMO302")) == {}
    turned = _read(metadata(GEMEENTE, PROVIDER, "WMO301"))
    assert isinstance(turned, vsp.BerichtMetadata)
    assert set(vsp.contradictions(turned, envelope, types.of("WMO302"))) == {
        "routeringgegevens.afzender.code",
        "routeringgegevens.geadresseerden.0.code",
        "routeringgegevens.berichtstroom.berichttype",
    }
    other_release = _envelope("WMO302", BerichtSubversie="1")
    assert set(vsp.contradictions(retour, other_release, types.of("WMO302"))) == {
        "routeringgegevens.berichtstroom.berichtsubversie"
    }


def test_berichttypes_are_configuration(tmp_path: Path) -> None:
    assert vspstream.DEFAULTS.of("WMO305") == ("WMO305", None)
    path = tmp_path / "types.toml"
    path.write_text('[WMO305]\nberichttype = "IWMO"\nberichtsubtype = "START"\n'
                    '[WMO301]\nberichttype = "IWMO"\n', encoding="utf-8")  # fmt: skip
    types = vspstream.load_berichttypes(path)
    assert types.of("WMO305") == ("IWMO", "START")
    assert types.messages("IWMO") == ("WMO301", "WMO305")
    assert types.messages("IWMO", "START") == ("WMO305",)
    assert types.of("JW301") == ("JW301", None)  # not in the file: the default
    for text, said in (
        ('[WMO999]\nberichttype = "x"\n', "no message of the catalogue"),
        ('[WMO305]\nberichttype = "x"\nsoort = 1\n', "berichttype and berichtsubtype only"),
        ("[WMO305]\nberichttype = 3\n", "non-empty string"),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=said):
            vspstream.load_berichttypes(path)
    path.write_text('[WMO999]\nberichttype = "x"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="no message of the catalogue"):
        Settings(vecozo_berichttype_file=path)


def test_berichtstatus_follows_the_verdict_then_the_delivery() -> None:
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    later = [at + timedelta(minutes=m) for m in (1, 2, 3)]
    status = vspstream.berichtstatus
    assert status("received", at, None) == ("ontvangen", at)
    assert status("parked", at, None) == ("aangehouden", at)
    assert status("rejected", at, None) == ("afgekeurd", at)
    assert status("dead-lettered", at, None) == ("afgekeurd", at)
    assert status("accepted", at, None) == ("geaccepteerd", at)
    waiting = vspstream.Delivery(later[0], None, None)
    assert status("accepted", at, waiting) == ("beschikbaar", later[0])
    fetched = vspstream.Delivery(later[0], later[1], None)
    assert status("accepted", at, fetched) == ("opgehaald", later[1])
    confirmed = vspstream.Delivery(later[0], later[1], later[2])
    assert status("accepted", at, confirmed) == ("ontvangst-bevestigd", later[2])


def test_the_openapi_document_shows_every_answer_of_the_door() -> None:
    runtime = make_runtime(Settings(), "127.0.0.1:9", "postgresql://unused", "t-openapi")
    app = build_adapter_app("vecozo", runtime, _no_resources)
    assert isinstance(app, FastAPI)
    document = app.openapi()
    paths, schemas = document["paths"], document["components"]["schemas"]
    expected = {
        ("/berichten", "post"): {"204", "400", "401", "422", "423", "503"},
        ("/berichten", "get"): {"200", "400", "401"},
        ("/berichten/zoeken", "post"): {"200", "400", "401"},
        ("/berichten/{traceerId}/payload", "get"): {"200", "401", "404"},
        ("/berichten/{traceerId}", "delete"): {"202", "401", "404"},
        ("/berichtstatussen", "get"): {"200", "400", "401"},
    }
    for (path, method), statuses in expected.items():
        answers = paths[path][method]["responses"]
        assert statuses <= set(answers), (path, method, sorted(answers))
        for status in statuses - {"200", "202", "204"}:
            problem = answers[status]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": "#/components/schemas/ValidationProblemDetails"}
    form = paths["/berichten"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert form["schema"]["required"] == ["berichtMetadata", "payload"]
    assert form["schema"]["properties"]["berichtMetadata"]["$ref"].endswith("/BerichtMetadata")
    for name in ("BerichtMetadata", "Bericht", "Berichtstatus", "ValidationProblemDetails"):
        assert schemas[name].get("examples"), name
    # The metadata's nested parts resolve in the document too.
    assert {"Routeringgegevens", "Referentiegegevens", "Verwerkingscontext"} <= set(schemas)
