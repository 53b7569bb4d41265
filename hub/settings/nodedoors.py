"""Settings of the nodes' own doors (issue #21): the GGk SOAP door's HUB_GGK_* fields (and the
VECOZO REST door's HUB_VECOZO_* fields at the end); one mixin of `hub.settings.Settings`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from hub.domain import stufcodes
from hub.domain.errors import ConfigError
from hub.domain.vspstream import load_berichttypes


class NodeDoorSettings(BaseModel):
    """The HUB_GGK_* fields (GGk SOAP door) and the HUB_VECOZO_* fields (VECOZO REST door)."""

    ggk_applicatie: str = Field(
        default="GGk",
        min_length=3,
        max_length=50,
        description="The StUF applicatie the hub names itself in the GGk door's envelopes, "
        "receipts and faults (the real node is 'GGk'; the party is the organisatie).",
    )
    ggk_du01_functies: str = Field(
        default=stufcodes.DEFAULT_DU01,
        description="Comma-separated message numbers that travel as ggk_Du01 (a retour) at the "
        "GGk door, in and out; every other message travels as ggk_Di01. Default: the "
        "retourberichten of nodes.md §1.",
    )
    ggk_codes: str = Field(
        default="",
        description="Overrides of the Fo03/Fo01 code per refusal kind at the GGk door, as "
        "'error/reason=CODE, ...' (reason * for every reason of an error), e.g. "
        "'invalid/schema=IB014'; unlisted kinds take docs/node-codes.md's GGK column.",
    )
    ggk_public_url: str | None = Field(
        default=None,
        description="Where the outside reaches the GGK adapter's root, e.g. "
        "https://hub.example.nl/ggk behind a TLS-terminating proxy that maps that prefix to "
        "it: the WSDL's soap:address is then https://hub.example.nl/ggk/ggk/soap and its "
        "schemas lie below .../ggk/schemas. Unset: built from the request (its Host, and "
        "X-Forwarded-Proto only from HUB_ADAPTER_TRUSTED_PROXIES).",
    )

    @field_validator("ggk_public_url")
    @classmethod
    def _ggk_public_url(cls, value: str | None) -> str | None:
        return public_url(value)

    @field_validator("ggk_du01_functies")
    @classmethod
    def _du01_numbers(cls, value: str) -> str:
        stufcodes.parse_numbers(value)  # ValueError names the bad entry
        return value

    @field_validator("ggk_codes")
    @classmethod
    def _code_table(cls, value: str) -> str:
        stufcodes.parse_code_table(value)
        return value

    # --- the VECOZO REST door (issue #21; adapters/vecozodoor.py) ---------------------------
    vecozo_berichttype_file: Path | None = Field(
        default=None,
        description="TOML file of the berichttype (and berichtsubtype) per message at the "
        'VECOZO door, as `[WMO305] berichttype = "..."`; VECOZO\'s own values are not public, '
        "so unset (or for a message the file leaves out) the message's name is its berichttype "
        "(WMO305), without berichtsubtype.",
    )

    vecozo_public_url: str | None = Field(
        default=None,
        description="Where the outside reaches the VECOZO adapter's root, e.g. "
        "https://hub.example.nl/vecozo behind a TLS-terminating proxy that maps that prefix "
        "to it: a pull listing's payload url is then "
        "https://hub.example.nl/vecozo/berichten/{traceerId}/payload. Unset: built from the "
        "request (its Host, and X-Forwarded-Proto only from HUB_ADAPTER_TRUSTED_PROXIES).",
    )

    @field_validator("vecozo_public_url")
    @classmethod
    def _vecozo_public_url(cls, value: str | None) -> str | None:
        return public_url(value)

    @field_validator("vecozo_berichttype_file")
    @classmethod
    def _berichttypes(cls, value: Path | None) -> Path | None:
        try:
            load_berichttypes(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value


def public_url(value: str | None) -> str | None:
    """A door's public base URL: absolute http(s), with a host, no query or fragment; kept
    without its trailing slash (the door adds its paths). Empty is unset."""
    if value is None or not value.strip():
        return None
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{value!r} is not an absolute https:// (or http://) URL")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{value!r}: a base URL has no query, fragment or user")
    return text
