"""All SQL of the hub (asyncpg), one module per noun; typed rows in, frozen dataclasses out.

The package re-exports the functions most callers need, so `from hub import store` keeps
working; the ledger of the routing core is `hub.infra.store.ledger`.
"""

from hub.infra.store.base import (
    DbConnection as DbConnection,
)
from hub.infra.store.base import (
    Migration as Migration,
)
from hub.infra.store.base import (
    Pool as Pool,
)
from hub.infra.store.base import (
    create_pool as create_pool,
)
from hub.infra.store.base import (
    migrate as migrate,
)
from hub.infra.store.base import (
    migrations as migrations,
)
from hub.infra.store.base import (
    schema_version as schema_version,
)
from hub.infra.store.history import (
    apply_history as apply_history,
)
from hub.infra.store.history import (
    load_history as load_history,
)
from hub.infra.store.inbox import (
    InboxItem as InboxItem,
)
from hub.infra.store.inbox import (
    IngressRow as IngressRow,
)
from hub.infra.store.inbox import (
    LedgerEntry as LedgerEntry,
)
from hub.infra.store.inbox import (
    acknowledge as acknowledge,
)
from hub.infra.store.inbox import (
    add_deliveries as add_deliveries,
)
from hub.infra.store.inbox import (
    count_messages as count_messages,
)
from hub.infra.store.inbox import (
    deliver as deliver,
)
from hub.infra.store.inbox import (
    download as download,
)
from hub.infra.store.inbox import (
    inbox as inbox,
)
from hub.infra.store.inbox import (
    ledger_entry as ledger_entry,
)
from hub.infra.store.inbox import (
    record_messages as record_messages,
)
from hub.infra.store.parties import (
    AuthenticatedParty as AuthenticatedParty,
)
from hub.infra.store.parties import (
    PartyImport as PartyImport,
)
from hub.infra.store.parties import (
    PartyToken as PartyToken,
)
from hub.infra.store.parties import (
    active_token_counts as active_token_counts,
)
from hub.infra.store.parties import (
    add_token as add_token,
)
from hub.infra.store.parties import (
    authenticate as authenticate,
)
from hub.infra.store.parties import (
    get_party as get_party,
)
from hub.infra.store.parties import (
    list_parties as list_parties,
)
from hub.infra.store.parties import (
    revoke_tokens as revoke_tokens,
)
from hub.infra.store.parties import (
    rotate_token as rotate_token,
)
from hub.infra.store.parties import (
    upsert_parties as upsert_parties,
)
