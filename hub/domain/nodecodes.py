"""The nearest node error code (GGK's Fo01 list, VECOZO's list) for each kind of adapter refusal.

A node refuses what it will not forward with a code of its own (rules.md §4, domain.md §4.4);
vendors' software already maps those codes. Every adapter refusal carries, beside the hub's own
reason, the nearest code of the node that adapter stands in for. The facts are rules.md §4's
lists and its "nearest node code" line; where that line says nothing for a refusal kind, the
row says which code we took and why (`basis`), and where no code fits, it has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hub.domain.messages import Node

# The codes used below with the lists' own meaning (rules.md §4: Fo01 and VECOZO's BRS codes).
MEANINGS: Final[dict[str, str]] = {
    "IB001": "The message fails its XSD (at BIDN only the envelope; CAK/VWS the payload)",
    "IB002": "The sending organisation is not admitted to the GGK",
    "IB003": "The message is larger than 25 MB (split it)",
    "IB004": 'The function is not supported, e.g. an unknown message kind such as "WMO399"',
    "IB005": "The gemeentecode in the StUF envelope is unknown to the GGK",
    "IB006": "The sending system is not authorised for this combination of berichtcode, "
    "entity type and function",
    "IB007": "This function is not allowed for this organisation",
    "IB008": "The submitter lacks the role or grondslag for this message kind",
    "IB010": "The addressee is not connected to VECOZO, or its AGB code is wrong",
    "IB011": "The addressee lacks the role for this message kind",
    "IB012": "The payload is larger than 25 MB",
    "IB014": "The payload fails the XSD",
    "IB016": "The reference number is not unique",
    "IB023": "The function is not active",
    "BRS01": "sender (AGB code plus role) unknown",
    "BRS03": "submitter not mandated by the sender",
    "BRS04": "addressee not connected (check AGB/UZOVI)",
    "BRS05": "addressee not connected for this grondslag (Wmo/Jeugdwet…)",
    "BRS14": "not well-formed XML",
    "BRS33": "no routing rule for the message",
    "IB017": "Application data missing or wrong",
    "BRS114": "TraceerID not unique for this AGB code",
    # rules.md §4 lists IB901–IB905 as "ZIP problems: not a valid ZIP; too many files; password
    # protected; a file larger than 25 MB; no file": read as one code per problem, in order.
    "IB901": "ZIP problem: not a valid ZIP",
    "IB902": "ZIP problem: too many files",
    "IB903": "ZIP problem: password protected",
    "IB904": "ZIP problem: a file larger than 25 MB",
    "IB905": "ZIP problem: no file",
    "BRS15": "not a valid ZIP",
    "BRS16": "too many files in the ZIP",
    "BRS17": "password-protected ZIP",
    "BRS19": "file in ZIP too large",
    "BRS21": "empty ZIP",
    "BRS29": "ZIP contains folders",
}

ANY: Final = "*"  # a row for every reason of its error


@dataclass(frozen=True, slots=True)
class Nearest:
    """One refusal kind (`error`/`reason` as the refusal body has them) and its nearest codes."""

    error: str
    reason: str
    ggk: str | None  # Fo01 code for the GGK-like adapter; None: no code fits
    vecozo: str | None  # VECOZO's code for the VECOZO-like adapter; None: no code fits
    basis: str  # the fact the codes come from, or the reading we took

    @property
    def kind(self) -> str:
        return f"{self.error}/{self.reason}"

    def code(self, node: Node) -> str | None:
        return self.ggk if node is Node.GGK else self.vecozo


_R = "rules.md §4 nearest node code: "
_G = "reading: the envelope's XSD (issue #21): "
_F = "nodes.md §1, berichtcode and functie not allowed together (issue #21): "
_Z = "rules.md §4 ZIP problems (IB901–IB905 in their listed order, VECOZO's BRS): "
TABLE: Final[tuple[Nearest, ...]] = (
    # --- the body itself ------------------------------------------------------------------
    Nearest("unreadable", "too_large", "IB003", "IB012", _R + "too large → IB003 / IB012 (BRS06)"),
    Nearest("unreadable", ANY, "IB001", "BRS14", _R + "not well-formed → IB001 / BRS14"),
    Nearest("too_large", "too_large", "IB003", "IB012", _R + "too large → IB003 / IB012 (BRS06)"),
    Nearest(
        "unsupported_media_type",
        ANY,
        "IB001",
        "BRS14",
        "reading: a body sent as another media type (JSON, a form) or compressed is not an "
        "XML message as the node reads it; nearest is not well-formed → IB001 / BRS14",
    ),
    Nearest(
        "invalid", "schema", "IB001", "IB014", _R + "payload fails XSD → IB001 / IB014 (BRS13)"
    ),
    Nearest(
        "invalid",
        "unknown_message",
        "IB004",
        "IB004",
        _R + "unknown message kind or release → IB004 / IB004",
    ),
    # --- who sends it ---------------------------------------------------------------------
    Nearest(
        "unauthenticated",
        "unauthenticated",
        "IB002",
        "BRS01",
        _R + "sender not registered → IB002 / BRS01",
    ),
    # A client certificate (mTLS) stands for the node's system certificate, which identifies
    # the sending software (nodes.md §2): without a registered, valid one, it is not admitted.
    Nearest(
        "unauthenticated",
        "certificate_required",
        "IB002",
        "BRS01",
        _R + "sender not registered → IB002 / BRS01 (no client certificate where one is "
        "required: the sender is not identified)",
    ),
    Nearest(
        "unauthenticated",
        "certificate_unknown",
        "IB002",
        "BRS01",
        _R + "sender not registered → IB002 / BRS01 (a certificate registered for no party)",
    ),
    Nearest(
        "unauthenticated",
        "certificate_expired",
        "IB002",
        "BRS01",
        _R + "sender not registered → IB002 / BRS01 (a certificate outside its validity "
        "identifies no one)",
    ),
    Nearest(
        "unauthenticated",
        "credentials_conflict",
        "IB002",
        "BRS01",
        _R + "sender not registered → IB002 / BRS01 (certificate and token name different "
        "parties, so the sender is not identified)",
    ),
    Nearest(
        "forbidden",
        "wrong_node",
        "IB002",
        "BRS01",
        "reading: a party of the other node is not admitted to this one; nearest is sender "
        "not registered → IB002 / BRS01",
    ),
    Nearest(
        "forbidden",
        "sender_mismatch",
        "IB006",
        "BRS03",
        _R + "spoofed Afzender → IB006 / BRS03 (BRS03: submitter not mandated by the sender)",
    ),
    Nearest(
        "forbidden",
        "standard_not_allowed",
        "IB007",
        "IB008",
        "reading: the sender is not set up for this standard; IB007 (function not allowed "
        "for this organisation) / IB008 (submitter lacks the role or grondslag)",
    ),
    # --- who receives it (known receivers, hub/domain/routing.py) ---------------------------
    Nearest(
        "invalid",
        "unknown_gemeente",
        "IB005",
        "BRS04",
        _R + "unknown gemeente → IB005; it names no VECOZO code, BRS04 (addressee not "
        "connected) is VECOZO's code for an addressee it cannot reach",
    ),
    Nearest(
        "invalid",
        "unknown_aanbieder",
        "IB010",
        "BRS04",
        _R + "unknown aanbieder (addressee) → IB010 / BRS04",
    ),
    Nearest(
        "invalid",
        "wrong_receiver",
        "IB007",
        "BRS33",
        _R + "no route for this message kind between the parties → IB007 / BRS33",
    ),
    Nearest(
        "invalid",
        "not_the_cak",
        "IB007",
        "BRS33",
        _R + "no route for this message kind between the parties → IB007 / BRS33 (an iEb "
        "message has one receiver, the CAK)",
    ),
    Nearest(
        "forbidden",
        "receiver_standard_not_allowed",
        "IB011",
        "BRS05",
        _R + "addressee not set up for the domain → IB011 / BRS05",
    ),
    # --- when and how often -----------------------------------------------------------------
    Nearest(
        "frozen",
        ANY,
        "IB023",
        "IB004",
        "reading: rules.md §4 gives unknown release → IB004 (IB023 when the function is "
        "switched off) / IB004; "
        "a frozen release is switched off for now",
    ),
    Nearest(
        "release_retired",
        ANY,
        "IB023",
        "IB004",
        "reading: rules.md §4 gives unknown release → IB004 (IB023 when the function is "
        "switched off) / IB004; "
        "a retired release is switched off",
    ),
    Nearest(
        "invalid",
        "idempotency_key_reused",
        "IB016",
        "IB016",
        "reading: an Idempotency-Key is the upload's reference; IB016 (reference number "
        "not unique) is on the Fo01 list for VECOZO and the CAK",
    ),
    # --- a ZIP archive of messages (hub/domain/ziparchive.py), refused whole -----------------
    Nearest("zip", "not_a_zip", "IB901", "BRS15", _Z + "not a valid ZIP → IB901 / BRS15"),
    Nearest("zip", "empty", "IB905", "BRS21", _Z + "no file → IB905 / empty ZIP → BRS21"),
    Nearest("zip", "too_many_members", "IB902", "BRS16", _Z + "too many files → IB902 / BRS16"),
    Nearest("zip", "encrypted", "IB903", "BRS17", _Z + "password protected → IB903 / BRS17"),
    Nearest(
        "zip",
        "member_too_large",
        "IB904",
        "BRS19",
        _Z + "a file larger than 25 MB → IB904 / file in ZIP too large → BRS19",
    ),
    Nearest(
        "zip",
        "total_too_large",
        "IB904",
        "BRS19",
        "reading: the files together expand beyond the hub's bound; nearest is a file "
        "(in the ZIP) too large → IB904 / BRS19",
    ),
    Nearest(
        "zip",
        "compression_ratio",
        "IB901",
        "BRS15",
        "reading: a zip bomb (a member expanding more than the ratio limit) is not a ZIP the "
        "hub takes; nearest is not a valid ZIP → IB901 / BRS15",
    ),
    Nearest(
        "zip",
        "folder",
        "IB901",
        "BRS29",
        _Z + "ZIP contains folders → BRS29; Fo01 has no "
        "folder code, nearest is not a valid ZIP → IB901",
    ),
    Nearest(
        "zip",
        "unsafe_name",
        "IB901",
        "BRS29",
        "reading: a name with a path (.., absolute, backslashes) names a folder; "
        "ZIP contains folders → BRS29 / not a valid ZIP → IB901",
    ),
    Nearest(
        "zip",
        "nested_zip",
        "IB901",
        "BRS15",
        "reading: an archive inside the archive is not a message; nearest is not a valid "
        "ZIP → IB901 / BRS15",
    ),
    Nearest(
        "zip",
        "duplicate_name",
        "IB901",
        "BRS15",
        "reading: two files of one name cannot both be extracted; nearest is not a valid "
        "ZIP → IB901 / BRS15",
    ),
    Nearest(
        "zip",
        "not_xml",
        "IB001",
        "BRS14",
        _R + "not well-formed → IB001 / BRS14 (a member that is not XML at all)",
    ),
    Nearest(
        "zip",
        "too_many_declaraties",
        "IB902",
        "BRS16",
        "reading: issue #20 (the nodes take at most 30 declaraties per archive); nearest "
        "is too many files → IB902 / BRS16",
    ),
    Nearest(
        "zip",
        "mixed_declaraties",
        "IB901",
        "BRS15",
        "reading: issue #20 (the nodes do not mix declaraties with other messages in one "
        "archive); no code names it, nearest is not a valid ZIP → IB901 / BRS15",
    ),
    # --- the GGk door's SOAP envelope (issue #21; only the GGK-like adapter raises these) ---
    Nearest("envelope", "not_an_envelope", "IB001", None, _G + "not an envelope → IB001"),
    Nearest("envelope", "schema", "IB001", None, _R + "the message fails its XSD → IB001"),
    Nearest("envelope", "base64", "IB001", None, _G + "xmlBestand is xs:base64Binary → IB001"),
    Nearest("envelope", "action_mismatch", "IB006", None, _F + "SOAPAction ≠ body → IB006"),
    Nearest("envelope", "functie_mismatch", "IB006", None, _F + "functie ≠ message → IB006"),
    Nearest(
        "envelope",
        "party_mismatch",
        "IB006",
        None,
        "reading: the envelope contradicts its message, as functie ≠ message does (issue #21): "
        "zender/ontvanger ≠ the message's sender/receiver → IB006",
    ),
    Nearest("envelope", "text_file", "IB004", None, _G + "no message: unsupported → IB004"),
    Nearest("envelope", "referentienummer_reused", "IB016", None, _R + "not unique → IB016"),
    # --- the VECOZO door's push (issue #21; only the VECOZO-like adapter raises these) -----
    Nearest(
        "metadata",
        ANY,
        None,
        "IB017",
        "rules.md §4 IB017/IB018 (application data missing or wrong): a push without its "
        "berichtMetadata or payload part, metadata not JSON or not the shape, or metadata "
        "that contradicts the payload's header → IB017",
    ),
    Nearest(
        "invalid",
        "traceer_id_reused",
        None,
        "BRS114",
        "rules.md §4 BRS114 (TraceerID not unique for this AGB code): a traceerId the "
        "afzender used for another payload → BRS114",
    ),
    # --- no node code fits ----------------------------------------------------------------
    Nearest(
        "invalid",
        "idempotency_key",
        None,
        None,
        "none fits: the header is the hub's own (VECOZO's IB017/IB018 'application data "
        "missing or wrong' do not say which is which, so neither is named)",
    ),
    Nearest("timeout", ANY, None, None, "none fits: a node has no code for a slow upload"),
    Nearest(
        "unavailable",
        ANY,
        None,
        None,
        "none fits: the hub is briefly unavailable; retry (a node has no code for it)",
    ),
    Nearest("not_found", ANY, None, None, "none fits: not a message refusal"),
    Nearest("method_not_allowed", ANY, None, None, "none fits: not a message refusal"),
)

_BY_KIND: Final = {(n.error, n.reason): n for n in TABLE}


def nearest(error: str, reason: str) -> Nearest | None:
    """The table's row for a refusal, or None for a kind it does not list."""
    return _BY_KIND.get((error, reason)) or _BY_KIND.get((error, ANY))


def node_code(node: Node, error: str, reason: str) -> str | None:
    """The nearest code of `node`'s list for a refusal, or None where no code fits."""
    row = nearest(error, reason)
    return row.code(node) if row else None
