"""Who is at the door: a party authenticates with its bearer token on every party endpoint.

Missing, unknown, expired and revoked tokens all get the same 401, so an answer never tells
which tokens exist. Refusals are logged with the party code and reason only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.base import NodeAdapter
from adapters.refusal import refuse
from hub.domain.parties import Party
from hub.infra import store
from hub.infra.runtime import Runtime

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


def party_authenticator(
    adapter: NodeAdapter, runtime: Runtime
) -> Callable[[HTTPAuthorizationCredentials | None], Awaitable[Party]]:
    """A FastAPI dependency that yields the authenticated party served by this node."""

    async def authenticated_party(credentials: Credentials) -> Party:
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
        party = found.party
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

    return authenticated_party


def check_sender(party: Party, sender: str | None) -> None:
    """Refuse an upload whose sending party is neither the uploader nor a party it may
    submit for (a delegation, like a toestemmingsverklaring)."""
    if party.may_send_as(sender):
        return
    log.warning("refused party %s: sender_mismatch", party.code)
    refuse(
        403,
        "forbidden",
        "sender_mismatch",
        "the message's sending party (Header/Afzender; Ontvanger for a retour) is neither "
        "the uploading party nor a party it may submit for",
    )
