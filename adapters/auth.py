"""Who is at the door: a party authenticates with its bearer token on every party endpoint.

Where HUB_ADAPTER_CLIENT_CERT is on, a registered client certificate identifies the party
instead (adapters/clientcert.py); a token sent beside it must be the same party's. Missing,
unknown, expired and revoked tokens all get the same 401, so an answer never tells which
tokens exist. Refusals are logged with the party code and reason only. After the message is
read, `check_sender` and `check_rights` say whether this caller may upload it: for whom (its
own code, a toestemmingsverklaring, or an intermediary's parties) and in which standard (each
party's `exchanges`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.base import NodeAdapter
from adapters.clientcert import CertPolicy, certificate_party
from adapters.refusal import refuse
from hub.domain.messages import Standard
from hub.domain.parties import Party
from hub.domain.routing import Route
from hub.infra import store
from hub.infra.runtime import Runtime
from hub.infra.store import parties as party_store
from hub.infra.store.base import Pool

log = logging.getLogger(__name__)

_BEARER = HTTPBearer(
    auto_error=False,  # we answer ourselves, in the adapters' refusal shape
    scheme_name="party token",
    description="The party's token: `Authorization: Bearer <token>` (see `hub party token`).",
)
_UNAUTHENTICATED = (
    "a valid party token is required: Authorization: Bearer <token>; "
    "an operator issues one with `hub party token issue`"
)

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


def party_authenticator(adapter: NodeAdapter, runtime: Runtime) -> Callable[..., Awaitable[Party]]:
    """A FastAPI dependency that yields the authenticated party served by this node: the
    party of its client certificate when HUB_ADAPTER_CLIENT_CERT is on and one is presented
    (adapters/clientcert.py), else the party of its bearer token."""
    policy = CertPolicy.of(runtime.settings)

    async def authenticated_party(request: Request, credentials: Credentials) -> Party:
        by_certificate = None
        if policy.on:
            by_certificate = await certificate_party(
                runtime.pool, policy, request.scope, runtime.clock
            )
        if by_certificate is not None and credentials is None:
            return _served(adapter, by_certificate)
        party = await _token_party(runtime, credentials)
        if by_certificate is not None and by_certificate.code != party.code:
            # 401, not 403: the two credentials name different parties, so who is calling is
            # not established; nothing is refused to a known caller.
            log.warning("refused party -: unauthenticated (credentials_conflict)")
            refuse(
                401,
                "unauthenticated",
                "credentials_conflict",
                f"the client certificate is registered for party {by_certificate.code}, the "
                f"bearer token is {party.code}'s; send one party's credentials",
                headers={"WWW-Authenticate": 'Bearer realm="isd-hub"'},
            )
        return _served(adapter, party)

    return authenticated_party


async def _token_party(runtime: Runtime, credentials: HTTPAuthorizationCredentials | None) -> Party:
    """The party of a working bearer token; 401 otherwise."""
    found = None
    if credentials is not None:
        found = await store.authenticate(runtime.pool, credentials.credentials)
    if found is None:
        why = "no bearer token" if credentials is None else "token not valid"
        log.info("refused party -: unauthenticated (%s)", why)
        refuse(
            401,
            "unauthenticated",
            "unauthenticated",
            _UNAUTHENTICATED,
            headers={"WWW-Authenticate": 'Bearer realm="isd-hub"'},
        )
    return found.party


def _served(adapter: NodeAdapter, party: Party) -> Party:
    """The party, when this node serves it; 403 `wrong_node` otherwise."""
    if not adapter.serves(party):
        log.warning("refused party %s: wrong_node", party.code)
        refuse(
            403,
            "forbidden",
            "wrong_node",
            f"this node serves {adapter.party_kind}; party {party.code} is served by "
            f"the {party.node.value} node",
        )
    return party


def check_sender(party: Party, sender: str | None) -> None:
    """Refuse an upload whose sending party is neither the uploader nor a party it may
    submit for (a delegation, like a toestemmingsverklaring)."""
    if party.may_send_as(sender):
        return
    log.warning("refused party %s: sender_mismatch", party.code)
    if party.is_intermediary:
        detail = (
            f"the message's sending party (Header/Afzender; Ontvanger for a retour) "
            f"{sender or '(none)'} has not authorised intermediary {party.code}; an operator "
            f"records an authorisation with `hub party authorise {party.code} CODE`"
        )
    else:
        detail = (
            "the message's sending party (Header/Afzender; Ontvanger for a retour) is neither "
            "the uploading party nor a party it may submit for"
        )
    refuse(403, "forbidden", "sender_mismatch", detail)


async def parties_named(pool: Pool, caller: Party, *codes: str | None) -> dict[str, Party]:
    """The registered parties among `codes`, the caller included as it authenticated: one
    query for every check of an upload (`check_rights`, the receiver check)."""
    wanted = sorted({c for c in codes if c and c != caller.code})
    known = await party_store.parties_by_code(pool, wanted) if wanted else {}
    known[caller.code] = caller
    return known


def check_rights(caller: Party, route: Route | None, known: Mapping[str, Party]) -> None:
    """Refuse an upload in a standard the uploader, its sending party or its receiver does not
    exchange (403 `standard_not_allowed` / `receiver_standard_not_allowed`). `known`: the
    registered parties among the route's (`parties_named`); a receiver the registry does not
    know is left to the known-receiver check."""
    if route is None:
        return  # unroutable: the core answers it
    standard = route.message_type.standard
    _may_exchange(caller, standard, "the uploading party", caller.code)
    sender = known.get(route.sender)
    if sender is not None:
        _may_exchange(sender, standard, "the sending party", caller.code)
    receiver = known.get(route.receiver)
    if receiver is not None and standard not in receiver.exchanges:
        log.warning("refused party %s: receiver_standard_not_allowed", caller.code)
        refuse(
            403,
            "forbidden",
            "receiver_standard_not_allowed",
            f"the receiving party {receiver.code} does not exchange {_NAMES[standard]} through "
            f"the hub (it exchanges {_listed(receiver)})",
        )


_NAMES = {Standard.IWMO: "iWmo", Standard.IJW: "iJw", Standard.IEB: "iEb"}


def _listed(party: Party) -> str:
    return ", ".join(_NAMES[s] for s in sorted(party.exchanges))


def _may_exchange(party: Party, standard: Standard, who: str, caller: str) -> None:
    if standard in party.exchanges:
        return
    log.warning("refused party %s: standard_not_allowed", caller)
    refuse(
        403,
        "forbidden",
        "standard_not_allowed",
        f"{who} {party.code} may not exchange {_NAMES[standard]} messages (it exchanges "
        f"{_listed(party)}); an operator sets a party's standards in the party registry",
    )
