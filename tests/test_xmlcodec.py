"""The XML door: hostile input is refused fast with a specific reason; messages read and write."""

from __future__ import annotations

import contextlib
import pickle
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from hub.domain.messages import Standard
from hub.domain.xmlcodec import (
    MAX_BYTES,
    E,
    XmlRejected,
    XmlRejectReason,
    child_text,
    parse_message,
    read_envelope,
    serialize,
)

NS = "http://www.istandaarden.nl/iwmo/3_2/wmo305/schema"
BASIS = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"

VALID = f"""<?xml version="1.0" encoding="UTF-8"?>
<Bericht xmlns="{NS}" xmlns:iwmo="{BASIS}">
  <Header>
    <BerichtCode>418</BerichtCode>
    <BerichtVersie>3</BerichtVersie>
    <BerichtSubversie>2</BerichtSubversie>
    <Afzender>65656055</Afzender>
    <Ontvanger>0363</Ontvanger>
    <BerichtIdentificatie>
      <iwmo:Identificatie>123456789013</iwmo:Identificatie>
      <iwmo:Dagtekening>2025-04-05</iwmo:Dagtekening>
    </BerichtIdentificatie>
  </Header>
  <Client><Bsn>174285917</Bsn></Client>
</Bericht>
""".encode()

FAST = 1.0  # seconds: every refusal must be far quicker than this


def rejected(data: bytes, **limits: int) -> XmlRejected:
    started = time.perf_counter()
    with pytest.raises(XmlRejected) as info:
        parse_message(data, **limits)
    elapsed = time.perf_counter() - started
    assert elapsed < FAST, f"refusal took {elapsed:.3f}s"
    return info.value


# --- accepted ----------------------------------------------------------------------------


def test_valid_message_parses() -> None:
    root = parse_message(VALID)
    assert root.tag == f"{{{NS}}}Bericht"
    assert child_text(root, "Client", "Bsn") == "174285917"


def test_utf8_byte_order_mark_is_accepted() -> None:
    assert parse_message(b"\xef\xbb\xbf" + VALID).tag == f"{{{NS}}}Bericht"


def test_message_without_declaration_is_utf8_by_default() -> None:
    root = parse_message(f'<Bericht xmlns="{NS}">café</Bericht>'.encode())
    assert root.text == "café"


def test_declared_utf8_in_lower_case_is_accepted() -> None:
    data = f"<?xml version='1.0' encoding='utf-8'?><Bericht xmlns='{NS}'/>".encode()
    assert parse_message(data).tag == f"{{{NS}}}Bericht"


def test_input_of_exactly_the_limit_is_accepted() -> None:
    assert parse_message(VALID, max_bytes=len(VALID)) is not None


def test_xinclude_is_never_processed() -> None:
    data = (
        f'<Bericht xmlns="{NS}" xmlns:xi="http://www.w3.org/2001/XInclude">'
        '<xi:include href="file:///etc/passwd" parse="text"/></Bericht>'
    ).encode()
    root = parse_message(data)
    assert root[0].tag == "{http://www.w3.org/2001/XInclude}include"
    assert "root:" not in etree.tostring(root, encoding="unicode")


def test_five_megabyte_attribute_is_allowed_and_fast() -> None:
    # Below libxml2's 10,000,000-byte value limit and the 25 MB cap: allowed, in bounded time.
    data = f'<Bericht xmlns="{NS}" a="'.encode() + b"x" * (5 * 1024 * 1024) + b'"/>'
    started = time.perf_counter()
    root = parse_message(data)
    assert time.perf_counter() - started < FAST
    assert len(root.get("a") or "") == 5 * 1024 * 1024


def test_depth_at_the_limit_is_accepted() -> None:
    data = f'<Bericht xmlns="{NS}">'.encode() + b"<a>" * 63 + b"</a>" * 63 + b"</Bericht>"
    assert parse_message(data, max_depth=64) is not None


# --- hostile input -------------------------------------------------------------------------


def test_xxe_system_file_entity_is_refused_as_doctype() -> None:
    data = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE Bericht [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        f'<Bericht xmlns="{NS}">&xxe;</Bericht>'
    ).encode()
    err = rejected(data)
    assert err.reason is XmlRejectReason.DOCTYPE
    assert err.line == 2
    assert err.detail == "DOCTYPE declarations are not allowed (line 2)"


def test_external_network_entity_is_refused_as_doctype() -> None:
    data = (
        '<!DOCTYPE Bericht [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>'
        f'<Bericht xmlns="{NS}"/>'
    ).encode()
    assert rejected(data).reason is XmlRejectReason.DOCTYPE


def test_external_dtd_is_refused_as_doctype() -> None:
    data = f'<!DOCTYPE Bericht SYSTEM "http://127.0.0.1:9/x.dtd"><Bericht xmlns="{NS}"/>'
    assert rejected(data.encode()).reason is XmlRejectReason.DOCTYPE


def test_billion_laughs_is_refused_before_expansion() -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    data = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(entities)}]>'
        f'<Bericht xmlns="{NS}">&lol9;</Bericht>'
    ).encode()
    assert rejected(data).reason is XmlRejectReason.DOCTYPE


def test_quadratic_blowup_is_refused_before_expansion() -> None:
    data = (
        f'<!DOCTYPE Bericht [<!ENTITY a "{"x" * 50_000}">]>'
        f'<Bericht xmlns="{NS}">{"&a;" * 50_000}</Bericht>'
    ).encode()
    assert rejected(data).reason is XmlRejectReason.DOCTYPE


def test_plain_doctype_after_comments_and_pis_is_refused_with_its_line() -> None:
    data = (
        f'<?xml version="1.0"?>\n<!-- hi -->\n<?pi x?>\n<!DOCTYPE Bericht>\n<Bericht xmlns="{NS}"/>'
    ).encode()
    err = rejected(data)
    assert err.reason is XmlRejectReason.DOCTYPE
    assert err.line == 4


def test_undeclared_entity_reference_is_refused() -> None:
    err = rejected(f'<Bericht xmlns="{NS}">&nbsp;</Bericht>'.encode())
    assert err.reason is XmlRejectReason.ENTITY
    assert "nbsp" in err.detail


def test_one_byte_over_25_megabytes_is_refused_before_parsing() -> None:
    err = rejected(b" " * (MAX_BYTES + 1))
    assert err.reason is XmlRejectReason.TOO_LARGE
    assert str(MAX_BYTES) in err.detail


def test_limit_is_configurable() -> None:
    assert rejected(VALID, max_bytes=len(VALID) - 1).reason is XmlRejectReason.TOO_LARGE


def test_ten_megabyte_attribute_is_refused_fast() -> None:
    data = f'<Bericht xmlns="{NS}" a="'.encode() + b"x" * (10 * 1024 * 1024) + b'"/>'
    assert rejected(data).reason is XmlRejectReason.TOO_LARGE


@pytest.mark.parametrize("depth", [65, 300, 100_000, 1_000_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    data = f'<Bericht xmlns="{NS}">'.encode() + b"<a>" * depth + b"</a>" * depth + b"</Bericht>"
    assert rejected(data).reason is XmlRejectReason.TOO_DEEP


def test_invalid_utf8_is_refused_with_line() -> None:
    data = f'<Bericht xmlns="{NS}">\n<a>\xff\xfe</a></Bericht>'.encode("latin-1")
    err = rejected(data)
    assert err.reason is XmlRejectReason.NOT_UTF8
    assert err.line == 2


def test_utf8_encoded_surrogate_is_refused() -> None:
    data = f'<Bericht xmlns="{NS}">'.encode() + b"\xed\xa0\x80" + b"</Bericht>"
    assert rejected(data).reason is XmlRejectReason.NOT_UTF8


def test_utf16_with_byte_order_mark_is_refused() -> None:
    data = f'<?xml version="1.0" encoding="UTF-16"?><Bericht xmlns="{NS}"/>'.encode("utf-16")
    err = rejected(data)
    assert err.reason is XmlRejectReason.ENCODING
    assert "UTF-16" in err.detail


def test_utf16_bytes_claiming_utf8_are_refused_naming_the_lie() -> None:
    data = f'<?xml version="1.0" encoding="UTF-8"?><Bericht xmlns="{NS}"/>'.encode("utf-16-le")
    err = rejected(data)
    assert err.reason is XmlRejectReason.ENCODING
    assert "claims 'UTF-8'" in err.detail


def test_utf16_with_bom_claiming_utf8_is_refused() -> None:
    data = f'<?xml version="1.0" encoding="UTF-8"?><Bericht xmlns="{NS}"/>'.encode("utf-16")
    err = rejected(data)
    assert err.reason is XmlRejectReason.ENCODING
    assert "claims 'UTF-8'" in err.detail


def test_utf16_declared_as_utf16_is_refused_without_calling_it_a_lie() -> None:
    data = f'<?xml version="1.0" encoding="UTF-16"?><Bericht xmlns="{NS}"/>'.encode("utf-16")
    err = rejected(data)
    assert err.reason is XmlRejectReason.ENCODING
    assert "claims" not in err.detail


def test_utf8_bytes_declared_as_utf16_are_refused() -> None:
    data = f'<?xml version="1.0" encoding="UTF-16"?><Bericht xmlns="{NS}"/>'.encode()
    err = rejected(data)
    assert err.reason is XmlRejectReason.ENCODING
    assert "'UTF-16'" in err.detail


def test_refusal_pickles_and_reads_well() -> None:
    err = rejected(b"")
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert (copy.reason, copy.detail, copy.line) == (err.reason, err.detail, err.line)
    assert str(err) == "empty: input is empty or only whitespace"


def test_utf32_is_refused() -> None:
    data = f'<Bericht xmlns="{NS}"/>'.encode("utf-32")
    assert rejected(data).reason is XmlRejectReason.ENCODING


def test_other_declared_encoding_is_refused() -> None:
    data = f'<?xml version="1.0" encoding="ISO-8859-1"?><Bericht xmlns="{NS}">é</Bericht>'
    err = rejected(data.encode("latin-1"))
    assert err.reason is XmlRejectReason.ENCODING
    assert "ISO-8859-1" in err.detail


def test_root_without_namespace_is_refused() -> None:
    err = rejected(b"<Bericht><Header/></Bericht>")
    assert err.reason is XmlRejectReason.NO_NAMESPACE
    assert "<Bericht>" in err.detail


@pytest.mark.parametrize("data", [b"", b"   \n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf  "])
def test_empty_input_is_refused(data: bytes) -> None:
    assert rejected(data).reason is XmlRejectReason.EMPTY


@pytest.mark.parametrize("data", [b"hello", b'{"json": true}', b"<a><b></a>", b"<a", b"<1/>"])
def test_non_xml_is_refused(data: bytes) -> None:
    err = rejected(data)
    assert err.reason is XmlRejectReason.NOT_WELL_FORMED
    assert err.detail.startswith("not well-formed: ")


def test_mismatched_tag_names_its_line() -> None:
    err = rejected(f'<Bericht xmlns="{NS}">\n\n<a></b></Bericht>'.encode())
    assert err.reason is XmlRejectReason.NOT_WELL_FORMED
    assert err.line == 3
    assert "(line 3)" in err.detail


@pytest.mark.parametrize("tail", [b"trailing text", b"<Second/>"])
def test_content_after_the_root_is_refused(tail: bytes) -> None:
    err = rejected(f'<Bericht xmlns="{NS}"/>'.encode() + tail)
    assert err.reason is XmlRejectReason.TRAILING_CONTENT


def test_comment_after_the_root_is_allowed() -> None:
    assert parse_message(f'<Bericht xmlns="{NS}"/><!-- end -->\n'.encode()) is not None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_xml_rejected(data: bytes) -> None:
    try:
        parse_message(data)
    except XmlRejected as err:
        refusal: XmlRejected | None = err
    else:
        refusal = None
    if refusal is not None:
        assert isinstance(refusal.reason, XmlRejectReason)
        assert refusal.detail


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=4))
def test_damaged_message_never_raises_anything_but_xml_rejected(at: int, junk: bytes) -> None:
    with contextlib.suppress(XmlRejected):
        parse_message(VALID[:at] + junk + VALID[at + 1 :])


# --- envelope ----------------------------------------------------------------------------------


def test_envelope_of_a_heenbericht() -> None:
    env = read_envelope(parse_message(VALID))
    assert env.namespace == NS
    assert (env.standard, env.release, env.segment) == (Standard.IWMO, "3.2", "wmo305")
    assert env.message_name == "WMO305"
    assert (env.bericht_code, env.bericht_versie, env.bericht_subversie) == ("418", "3", "2")
    assert (env.afzender, env.ontvanger) == ("65656055", "0363")
    assert (env.identificatie, env.dagtekening) == ("123456789013", "2025-04-05")
    assert env.identificatie_retour is None


def test_envelope_reads_children_in_the_message_namespace_too() -> None:
    data = VALID.replace(b"iwmo:Identificatie", b"Identificatie")
    assert read_envelope(parse_message(data)).identificatie == "123456789013"


def test_envelope_of_a_retour() -> None:
    ns = "http://www.istandaarden.nl/ijw/3_2/jw306/schema"
    data = (
        f'<Bericht xmlns="{ns}"><Header><BerichtCode>439</BerichtCode>'
        "<BerichtIdentificatie><Identificatie>A1</Identificatie>"
        "<Dagtekening>2025-04-05</Dagtekening></BerichtIdentificatie>"
        "<IdentificatieRetour>R1</IdentificatieRetour>"
        "<DagtekeningRetour>2025-04-07</DagtekeningRetour></Header></Bericht>"
    ).encode()
    env = read_envelope(parse_message(data))
    assert (env.standard, env.message_name) == (Standard.IJW, "JW306")
    assert (env.identificatie, env.identificatie_retour) == ("A1", "R1")
    assert env.dagtekening_retour == "2025-04-07"


def test_envelope_of_a_declaratie_antwoord_names_the_declaratie() -> None:
    ns = "http://www.istandaarden.nl/iwmo/3_2/wmo325/schema"
    data = (
        f'<Bericht xmlns="{ns}"><Header><DeclaratieIdentificatie><Identificatie>D9</Identificatie>'
        "<Dagtekening>2025-05-06</Dagtekening></DeclaratieIdentificatie></Header></Bericht>"
    ).encode()
    env = read_envelope(parse_message(data))
    assert (env.declaratie_identificatie, env.declaratie_dagtekening) == ("D9", "2025-05-06")


def test_envelope_tolerates_a_foreign_namespace_and_missing_header() -> None:
    env = read_envelope(parse_message(b'<Bericht xmlns="urn:example:other"/>'))
    assert env.namespace == "urn:example:other"
    assert (env.standard, env.release, env.segment, env.message_name) == (None, None, None, None)
    assert env.afzender is None
    assert env.dagtekening is None


def test_envelope_of_an_unknown_standard_does_not_fit() -> None:
    ns = "http://www.istandaarden.nl/iwlz/2_2/ca317/schema"
    env = read_envelope(parse_message(f'<Bericht xmlns="{ns}"/>'.encode()))
    assert env.standard is None
    assert env.release is None


# --- writing ---------------------------------------------------------------------------------


def test_serialize_is_utf8_with_declaration_and_deterministic() -> None:
    root = E(NS, "Bericht", E(NS, "Header", E(NS, "Afzender", text="0363")), None)
    out = serialize(root)
    assert out == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<Bericht xmlns="'
        + NS.encode()
        + b'"><Header><Afzender>0363</Afzender></Header></Bericht>'
    )
    assert serialize(root) == out
    assert serialize(parse_message(out)) == out


def test_serialize_keeps_non_ascii_as_utf8() -> None:
    out = serialize(E(NS, "Naam", text="Zoë"))
    assert "Zoë".encode() in out


def test_e_builds_in_other_namespaces_too() -> None:
    root = E(NS, "BerichtIdentificatie", E(BASIS, "Identificatie", text="1"))
    assert root[0].tag == f"{{{BASIS}}}Identificatie"
    assert parse_message(serialize(root))[0].text == "1"
