"""All SQL of the hub (asyncpg), one module per noun; typed rows in, frozen dataclasses out.

The package re-exports the functions most callers need, so `from hub import store` keeps
working; the ledger of the routing core is `hub.store.ledger`.
"""

from hub.store.base import (
    DbConnection as DbConnection,
)
from hub.store.base import (
    Migration as Migration,
)
from hub.store.base import (
    Pool as Pool,
)
from hub.store.base import (
    create_pool as create_pool,
)
from hub.store.base import (
    migrate as migrate,
)
from hub.store.base import (
    migrations as migrations,
)
from hub.store.base import (
    schema_version as schema_version,
)
from hub.store.history import (
    apply_history as apply_history,
)
from hub.store.history import (
    load_history as load_history,
)
from hub.store.inbox import (
    InboxItem as InboxItem,
)
from hub.store.inbox import (
    IngressRow as IngressRow,
)
from hub.store.inbox import (
    LedgerEntry as LedgerEntry,
)
from hub.store.inbox import (
    acknowledge as acknowledge,
)
from hub.store.inbox import (
    add_deliveries as add_deliveries,
)
from hub.store.inbox import (
    count_messages as count_messages,
)
from hub.store.inbox import (
    deliver as deliver,
)
from hub.store.inbox import (
    download as download,
)
from hub.store.inbox import (
    inbox as inbox,
)
from hub.store.inbox import (
    ledger_entry as ledger_entry,
)
from hub.store.inbox import (
    record_messages as record_messages,
)
from hub.store.parties import (
    AuthenticatedParty as AuthenticatedParty,
)
from hub.store.parties import (
    PartyImport as PartyImport,
)
from hub.store.parties import (
    PartyToken as PartyToken,
)
from hub.store.parties import (
    active_token_counts as active_token_counts,
)
from hub.store.parties import (
    add_token as add_token,
)
from hub.store.parties import (
    authenticate as authenticate,
)
from hub.store.parties import (
    get_party as get_party,
)
from hub.store.parties import (
    list_parties as list_parties,
)
from hub.store.parties import (
    revoke_tokens as revoke_tokens,
)
from hub.store.parties import (
    rotate_token as rotate_token,
)
from hub.store.parties import (
    upsert_parties as upsert_parties,
)
