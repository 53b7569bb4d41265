"""The retour builder: IV028 fill rules for every heenbericht of every pack, and the 325."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from hub.domain.findings import Finding, Level
from hub.domain.messages import Direction
from hub.domain.packs import PackMessage
from hub.domain.retour import NoRetour, RetourContext, build_retour
from hub.domain.xmlcodec import child, child_text, local_name, parse_message, read_envelope
from hub.ops.packgen.output import FIXTURES_DIR
from hub.ops.packgen.packspec import PACKS, message_schema
from tests.packkit import default_packs

REGISTRY = default_packs()
HEEN = [pm for pm in REGISTRY if pm.message_type.is_heen]
DECLARATIES = [pm for pm in HEEN if pm.message_type.number == 323]
RETOUR_HEEN = [pm for pm in HEEN if pm not in DECLARATIES]
CLIENT_HEEN = [pm for pm in RETOUR_HEEN if pm.message_type.body == "Client"]
CTX = RetourContext("R1", date(2025, 6, 2), None)
XSLT_CTX = RetourContext("R2", date(2025, 6, 2), "2.10.5")


def _ids(pm: PackMessage) -> str:
    return f"{pm.pack.standard.value}-{pm.pack.release}-{pm.name}"


def _fixture(pm: PackMessage) -> etree._Element:
    path: Path = FIXTURES_DIR / pm.pack.dir.name / f"{pm.name}.xml"
    return parse_message(path.read_bytes())


def _answer(pm: PackMessage) -> PackMessage:
    answer = pm.message_type.answer
    assert answer is not None
    return REGISTRY.get(pm.pack.standard, pm.pack.release, answer)


def _assert_valid(pm: PackMessage, retour: etree._Element) -> None:
    answer = _answer(pm)
    assert retour.tag == f"{{{answer.namespace}}}Bericht"
    assert answer.schema.validate(retour), str(answer.schema.error_log)


def _at(el: etree._Element | None, *path: str) -> etree._Element:
    for name in path:
        el = child(el, name)
    assert el is not None, path
    return el


def _codes(el: etree._Element | None) -> list[str] | None:
    """The RetourCode values of `el`'s own RetourCodes, or None without one."""
    codes = child(el, "RetourCodes")
    return None if codes is None else [c.text or "" for c in codes.iterchildren("{*}RetourCode")]


def _path(el: etree._Element) -> str:
    """Location of `el` with a position on every step below the root."""
    steps = []
    node: etree._Element | None = el
    while node is not None:
        parent = node.getparent()
        step = local_name(node)
        if parent is not None:
            step += f"[{list(parent.iterchildren(node.tag)).index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))


def _shape(el: etree._Element, drop: str = "") -> tuple[object, ...]:
    """Local names, leaf texts and children, ignoring whitespace, namespaces and `drop`."""
    kids = [c for c in el if isinstance(c.tag, str) and local_name(c) != drop]
    text = (el.text or "").strip() if not kids else ""
    return (local_name(el), text, tuple(_shape(c, drop) for c in kids))


def _class_names(pm: PackMessage) -> frozenset[str]:
    """The retour's berichtklassen, from the generator's model (independent of the builder)."""
    spec = next(s for s in PACKS if (s.standard, s.release) == pm.pack.key)
    return message_schema(spec, _answer(pm).message_type).body.class_names()


def _finding(location: str, code: str = "9074", level: Level = Level.HISTORY) -> Finding:
    return Finding("TR000", code, level, location, "test finding")


def _header_copies(heen: etree._Element, retour: etree._Element) -> None:
    for name in ("BerichtVersie", "BerichtSubversie", "Afzender", "Ontvanger"):
        assert child_text(retour, "Header", name) == child_text(heen, "Header", name)
    for name in ("BerichtIdentificatie", "XsdVersie"):
        assert _shape(_at(retour, "Header", name)) == _shape(_at(heen, "Header", name))


# --- (a) clean ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pm", RETOUR_HEEN, ids=_ids)
def test_clean_retour_is_header_only_without_codes(pm: PackMessage) -> None:
    heen = _fixture(pm)
    retour = build_retour(heen, [], CTX, REGISTRY)
    _assert_valid(pm, retour)
    assert [local_name(c) for c in retour] == ["Header"]
    header = _at(retour, "Header")
    assert _codes(header) is None
    assert child(header, "XsltVersie") is None
    assert child_text(header, "BerichtCode") == _answer(pm).bericht_code
    assert child_text(header, "IdentificatieRetour") == "R1"
    assert child_text(header, "DagtekeningRetour") == "2025-06-02"
    _header_copies(heen, retour)  # Afzender/Ontvanger unchanged, not swapped


@pytest.mark.parametrize("pm", RETOUR_HEEN, ids=_ids)
def test_header_order_follows_the_retour_schema(pm: PackMessage) -> None:
    finding = _finding("/Bericht/Header/BerichtIdentificatie/Dagtekening", "8848", Level.EXTERNAL)
    retour = build_retour(_fixture(pm), [finding], XSLT_CTX, REGISTRY)
    _assert_valid(pm, retour)
    header = _at(retour, "Header")
    assert [local_name(c) for c in header if isinstance(c.tag, str)] == [
        "BerichtCode", "BerichtVersie", "BerichtSubversie", "Afzender", "Ontvanger",
        "BerichtIdentificatie", "XsdVersie", "IdentificatieRetour", "DagtekeningRetour",
        "XsltVersie", "XsdVersieRetour", "RetourCodes",
    ]  # fmt: skip
    assert _codes(header) == ["8848"]
    assert len(retour) == 1


# --- (b) XSLT ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pm", HEEN, ids=_ids)
def test_xslt_finding_gives_header_only_with_0001(pm: PackMessage) -> None:
    heen = _fixture(pm)
    body = next(c for c in heen if local_name(c) != "Header")
    findings = [
        _finding(_path(body), "0001", Level.XSLT),
        _finding(_path(body), "9074"),  # a level-3 finding does not add anything to a 0001
    ]
    retour = build_retour(heen, findings, XSLT_CTX, REGISTRY)
    _assert_valid(pm, retour)
    assert [local_name(c) for c in retour] == ["Header"]
    assert _codes(child(retour, "Header")) == ["0001"]
    assert child_text(retour, "Header", "XsltVersie") == "2.10.5"


def test_xslt_rejection_without_xslt_versie_is_refused() -> None:
    pm = RETOUR_HEEN[0]
    with pytest.raises(ValueError, match="XsltVersie"):
        build_retour(_fixture(pm), [_finding("", "0001", Level.XSLT)], CTX, REGISTRY)


# --- (c) findings in a client's classes --------------------------------------------------------


def _target_class(heen: etree._Element, classes: frozenset[str]) -> etree._Element:
    """The first innermost class below the top-level body element, a product class if any."""
    body = next(c for c in heen if local_name(c) != "Header")
    inner = [
        el
        for el in body.iterdescendants()
        if local_name(el) in classes
        and not any(local_name(d) in classes for d in el.iterdescendants())
    ]
    products = [el for el in inner if local_name(el).endswith("Product")]
    return (products or inner)[0]


@pytest.mark.parametrize("pm", CLIENT_HEEN, ids=_ids)
def test_class_finding_copies_the_client_with_codes_everywhere(pm: PackMessage) -> None:
    heen = _fixture(pm)
    classes = _class_names(pm)
    target = _target_class(heen, classes)
    inside = next(c for c in target if isinstance(c.tag, str))
    retour = build_retour(heen, [_finding(_path(inside))], CTX, REGISTRY)
    _assert_valid(pm, retour)
    assert [local_name(c) for c in retour] == ["Header", "Client"]
    assert _codes(child(retour, "Header")) == ["0200"]
    _header_copies(heen, retour)
    client = _at(retour, "Client")
    # Copied unchanged apart from the RetourCodes every class gains.
    assert _shape(client, drop="RetourCodes") == _shape(_at(heen, "Client"))
    seen = 0
    for el in client.iter():
        if local_name(el) in classes:
            seen += 1
            expected = ["9074"] if _path(el) == _path(target) else ["0200"]
            assert _codes(el) == expected, _path(el)
    assert seen >= 2


@pytest.mark.parametrize("pm", CLIENT_HEEN, ids=_ids)
def test_finding_on_the_client_marks_its_classes_not_evaluated(pm: PackMessage) -> None:
    heen = _fixture(pm)
    retour = build_retour(heen, [_finding("/Bericht/Client/Bsn", "S300")], CTX, REGISTRY)
    _assert_valid(pm, retour)
    client = _at(retour, "Client")
    assert _codes(client) == ["S300"]
    below = [el for el in client.iterdescendants() if local_name(el) in _class_names(pm)]
    assert below
    assert all(_codes(el) == ["0233"] for el in below)


def test_finding_on_the_class_itself_and_codes_deduplicated() -> None:
    pm = REGISTRY.get("iwmo", "3.2", "WMO305")
    location = "/Bericht/Client/StartProducten/StartProduct[2]"
    findings = [
        _finding(location, "9074"),
        _finding(location + "/Begindatum", "9326"),
        _finding(location, "9074"),
    ]
    retour = build_retour(_fixture(pm), findings, CTX, REGISTRY)
    _assert_valid(pm, retour)
    products = retour.findall("{*}Client/{*}StartProducten/{*}StartProduct")
    assert [_codes(p) for p in products] == [["0200"], ["9074", "9326"]]


def test_header_level_finding_wins_over_class_findings() -> None:
    pm = REGISTRY.get("ijw", "3.2", "JW307")
    findings = [
        _finding("/Bericht/Client/StopProducten/StopProduct[1]/Einddatum", "9415"),
        _finding("/Bericht/Header/Afzender", "S300", Level.EXTERNAL),
    ]
    retour = build_retour(_fixture(pm), findings, CTX, REGISTRY)
    _assert_valid(pm, retour)
    assert len(retour) == 1
    assert _codes(child(retour, "Header")) == ["S300"]


@pytest.mark.parametrize("location", ["", "/Bericht", "/Other/Client", "not a path"])
def test_finding_without_a_body_location_is_header_level(location: str) -> None:
    pm = REGISTRY.get("iwmo", "3.2", "WMO301")
    retour = build_retour(_fixture(pm), [_finding(location, "9056")], CTX, REGISTRY)
    _assert_valid(pm, retour)
    assert len(retour) == 1
    assert _codes(child(retour, "Header")) == ["9056"]


def test_missing_position_resolves_to_the_nearest_existing_class() -> None:
    pm = REGISTRY.get("iwmo", "3.2", "WMO305")
    location = "/Bericht/Client/StartProducten/StartProduct[7]/Begindatum"
    retour = build_retour(_fixture(pm), [_finding(location)], CTX, REGISTRY)
    _assert_valid(pm, retour)
    assert _codes(child(retour, "Client")) == ["9074"]


@pytest.mark.parametrize(
    "pm", [pm for pm in RETOUR_HEEN if pm.message_type.body == "Antwoord"], ids=_ids
)
def test_antwoord_class_finding(pm: PackMessage) -> None:
    heen = _fixture(pm)
    retour = build_retour(heen, [_finding("/Bericht/Antwoord/ReferentieAanbieder")], CTX, REGISTRY)
    _assert_valid(pm, retour)
    assert _codes(child(retour, "Header")) == ["0200"]
    assert _codes(child(retour, "Antwoord")) == ["9074"]


# --- the generator's retour samples are reproduced ---------------------------------------------


def _findings_from_sample(sample: etree._Element) -> list[Finding]:
    """The findings a sample retour answers: its non-OK codes at the places they sit."""
    header = child(sample, "Header")
    codes = _codes(header) or []
    if codes == ["0001"]:
        return [_finding("/Bericht/Header", "0001", Level.XSLT)]
    if codes != ["0200"]:
        return [_finding("/Bericht/Header/BerichtCode", c) for c in codes]
    found = []
    for el in sample.iter("{*}RetourCodes"):
        owner = el.getparent()
        assert owner is not None
        if owner is not header:
            codes = _codes(owner) or []
            found += [_finding(_path(owner), c) for c in codes if c not in ("0200", "0233")]
    return found


def _answered_samples() -> list[tuple[PackMessage, PackMessage]]:
    return [(pm, _answer(pm)) for pm in HEEN]


@pytest.mark.parametrize(
    ("pm", "answer"), _answered_samples(), ids=[_ids(a) for _, a in _answered_samples()]
)
def test_builds_the_packs_sample_retour(pm: PackMessage, answer: PackMessage) -> None:
    sample = _fixture(answer)
    env = read_envelope(sample)
    if answer.message_type.direction is Direction.ANTWOORD:
        ident, day = env.identificatie, env.dagtekening
    else:
        ident, day = env.identificatie_retour, env.dagtekening_retour
    assert ident is not None
    assert day is not None
    ctx = RetourContext(ident, date.fromisoformat(day), child_text(sample, "Header", "XsltVersie"))
    heen = _fixture(pm)
    if answer.message_type.direction is Direction.ANTWOORD:
        # The 325 sample rejects one Prestatie: find it in the 323 by its reference.
        ref = child_text(sample.find(".//{*}Prestatie"), "ProductReferentie", "ReferentieNummer")
        prestatie = next(
            p
            for p in heen.iter("{*}Prestatie")
            if child_text(p, "ProductReferentie", "ReferentieNummer") == ref
        )
        findings = [_finding(_path(prestatie) + "/ProductPeriode", "9307")]
    else:
        findings = _findings_from_sample(sample)
    retour = build_retour(heen, findings, ctx, REGISTRY)
    _assert_valid(pm, retour)
    assert _shape(retour) == _shape(sample)


# --- (d) the 323 → 325 declaratie-antwoord -----------------------------------------------------


@pytest.mark.parametrize("pm", DECLARATIES, ids=_ids)
def test_fully_accepted_declaratie_gets_8001(pm: PackMessage) -> None:
    heen = _fixture(pm)
    ctx = RetourContext("A325", date(2025, 5, 16), None)
    antwoord = build_retour(heen, [], ctx, REGISTRY)
    _assert_valid(pm, antwoord)
    assert [local_name(c) for c in antwoord] == ["Header"]
    header = child(antwoord, "Header")
    assert _codes(header) == ["8001"]
    # Its own message: parties swapped, its own identification, the 323's one referred to.
    assert child_text(header, "Afzender") == child_text(heen, "Header", "Ontvanger")
    assert child_text(header, "Ontvanger") == child_text(heen, "Header", "Afzender")
    assert child_text(header, "BerichtIdentificatie", "Identificatie") == "A325"
    assert child_text(header, "BerichtIdentificatie", "Dagtekening") == "2025-05-16"
    heen_header = child(heen, "Header")
    for ours, theirs in (
        ("DeclaratieIdentificatie", "BerichtIdentificatie"),
        ("XsdVersieDeclaratie", "XsdVersie"),
    ):
        assert _shape(_at(header, ours))[2] == _shape(_at(heen_header, theirs))[2]


def _antwoord_for(findings: list[Finding], heen: etree._Element | None = None) -> etree._Element:
    pm = REGISTRY.get("iwmo", "3.2", "WMO323")
    heen = _fixture(pm) if heen is None else heen
    antwoord = build_retour(heen, findings, CTX, REGISTRY)
    _assert_valid(pm, antwoord)
    return antwoord


def _toegekend(antwoord: etree._Element) -> tuple[str | None, str | None]:
    total = antwoord.find("{*}DeclaratieAntwoord/{*}TotaalToegekendBedrag")
    return child_text(total, "TotaalBedrag"), child_text(total, "DebetCredit")


def test_one_rejected_prestatie_is_the_only_one_listed() -> None:
    location = "/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie[1]"
    antwoord = _antwoord_for(
        [_finding(location, "9307"), _finding(location + "/ProductCode", "0611")]
    )
    assert _codes(child(antwoord, "Header")) == ["0200"]
    clients = antwoord.findall("{*}DeclaratieAntwoord/{*}Clienten/{*}Client")
    assert [child_text(c, "Bsn") for c in clients] == ["318402579"]
    prestaties = clients[0].findall("{*}Prestaties/{*}Prestatie")
    assert [_codes(p) for p in prestaties] == [["9307", "0611"]]
    assert _codes(clients[0]) == ["0200"]
    assert _toegekend(antwoord) == ("137800", "D")  # 187800 - 50000


def test_finding_on_a_declaratie_client_rejects_all_its_prestaties() -> None:
    antwoord = _antwoord_for([_finding("/Bericht/Declaratie/Clienten/Client[1]/Bsn", "8187")])
    client = _at(antwoord, "DeclaratieAntwoord", "Clienten", "Client")
    assert _codes(client) == ["8187"]
    assert [_codes(p) for p in client.iterfind("{*}Prestaties/{*}Prestatie")] == [["0233"]] * 2
    assert _toegekend(antwoord) == ("50000", "D")


def test_toegekend_bedrag_is_signed() -> None:
    heen = _fixture(REGISTRY.get("iwmo", "3.2", "WMO323"))
    total = heen.find("{*}Declaratie/{*}TotaalIngediendBedrag/{*}TotaalBedrag")
    assert total is not None
    total.text = "50000"  # 50000 D submitted, a 100000 D prestatie rejected: 50000 C granted
    location = "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]"
    assert _toegekend(_antwoord_for([_finding(location, "9307")], heen)) == ("50000", "C")


def test_declaratie_level_finding_rejects_the_whole_declaratie() -> None:
    antwoord = _antwoord_for([_finding("/Bericht/Declaratie/DeclaratieNummer", "8021")])
    assert [local_name(c) for c in antwoord] == ["Header"]
    assert _codes(child(antwoord, "Header")) == ["8021"]


def test_xslt_rejected_declaratie_gets_a_325_with_0001() -> None:
    pm = REGISTRY.get("ijw", "3.2", "JW323")
    antwoord = build_retour(_fixture(pm), [_finding("", "0001", Level.XSLT)], XSLT_CTX, REGISTRY)
    _assert_valid(pm, antwoord)
    assert _codes(child(antwoord, "Header")) == ["0001"]
    assert child_text(antwoord, "Header", "XsltVersie") == "2.10.5"


# --- no retour, bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("pm", HEEN, ids=_ids)
def test_xsd_failure_gets_no_retour(pm: PackMessage) -> None:
    findings = [_finding("", "0001", Level.XSLT), _finding("/Bericht/Header", "", Level.XSD)]
    with pytest.raises(NoRetour, match="XSD"):
        build_retour(_fixture(pm), findings, XSLT_CTX, REGISTRY)


def test_a_retour_gets_no_retour() -> None:
    pm = REGISTRY.get("iwmo", "3.2", "WMO306")
    with pytest.raises(ValueError, match="no heenbericht"):
        build_retour(_fixture(pm), [], CTX, REGISTRY)


def test_unknown_namespace_is_refused() -> None:
    root = parse_message(b'<Bericht xmlns="urn:x"><Header/></Bericht>')
    with pytest.raises(ValueError, match="namespace"):
        build_retour(root, [], CTX, REGISTRY)


@pytest.mark.parametrize(
    ("ident", "xslt"), [("", None), ("1234567890123", None), ("   ", None), ("R1", "2.10")]
)
def test_retour_context_is_checked(ident: str, xslt: str | None) -> None:
    with pytest.raises(ValueError, match=r"identificatie_retour|xslt_versie"):
        RetourContext(ident, date(2025, 1, 1), xslt)
