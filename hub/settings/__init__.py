"""Typed settings (prefix HUB_), read once at start-up and validated with actionable messages.

`Settings` is one class; its fields are grouped in modules by what they configure: the
infrastructure's security (`security.py`) and the integrators' doors (`integrators.py`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.domain.advisory import DEMO_FILE as HISTORY_MODES_DEMO
from hub.domain.eigenbijdrage.policy import DEMO_FILE as EB_DEMO_POLICY
from hub.domain.errors import ConfigError
from hub.domain.parties import DEFAULT_CAK_CODE, DEMO_FILE
from hub.settings.integrators import IntegratorSettings
from hub.settings.nodedoors import NodeDoorSettings
from hub.settings.security import SecuritySettings
from hub.settings.types import Port

_SECRET_FIELDS = frozenset(
    {"database_url", "person_key_secret", "kafka_sasl_password", "kafka_ssl_key_password"}
)
_HOSTPORT = re.compile(r"^[A-Za-z0-9_.\-]+:\d{1,5}$")


class Settings(SecuritySettings, IntegratorSettings, NodeDoorSettings, BaseSettings):
    """Every knob of the hub. Unset infrastructure URLs mean: start the embedded one."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore", frozen=True)

    kafka_bootstrap: str | None = Field(
        default=None,
        description="Kafka bootstrap servers as host:port[,host:port]. Unset: `hub up` starts "
        "the embedded tansu broker.",
    )
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql://user:pass@host:port/db). Unset: `hub up` "
        "starts an embedded PostgreSQL with its data under data_dir.",
    )
    data_dir: Path = Field(
        default=Path("var"),
        description="Where embedded PostgreSQL keeps its data and processes write their logs.",
    )
    pack_dirs: str = Field(
        default="",
        description="Extra schema-pack directories, separated by ':', loaded after the built-in "
        "packs; a pack for the same standard and release replaces the built-in one (e.g. an "
        "official XSD set).",
    )
    parties_file: Path = Field(
        default=DEMO_FILE,
        description="TOML file with the party registry ([[party]] code, name, node, "
        "may_submit_for), imported into PostgreSQL by `hub up` and `hub party import`. "
        "Default: the built-in demo registry (the fixture and demo parties).",
    )
    cak_party_code: str = Field(
        default=DEFAULT_CAK_CODE,
        pattern=r"^[0-9]{8}$",
        description="Party code of the CAK, the fixed iEb party on the GGK node.",
    )
    eb_policy_file: Path = Field(
        default=EB_DEMO_POLICY,
        description="TOML file with the per-gemeente eigen-bijdrage policy ([defaults] and "
        '[gemeente."NNNN"]: enabled, categories, exempt_categories, beschermd_wonen, '
        "temporary_stop_ends, minimum_age, late_start_workdays), validated when the core "
        "starts and listed by `hub eb policy`. Default: the built-in demo policy (0363, 0344 "
        "and 0599 enabled).",
    )
    history_modes_file: Path = Field(
        default=HISTORY_MODES_DEMO,
        description="TOML file with the mode of each gemeente's history rules ([modes] "
        '"NNNN" = "enforce" or "advisory"), read when the core starts; `hub history mode` '
        "sets a mode in PostgreSQL, which wins over the file. Default: the built-in file "
        "(the demo and fixture gemeenten enforce).",
    )
    history_default_mode: Literal["enforce", "advisory"] = Field(
        default="advisory",
        description="Mode of the history rules of a gemeente in neither the modes file nor "
        "the database: advisory routes its messages despite history findings and reports "
        "them (a gemeente new to the hub has its history elsewhere).",
    )
    freeze_file: str = Field(
        default="",
        description="TOML file with the release-freeze calendar, one table per standard "
        "([iwmo], [ijw], [ieb]: from_release, to_release, declaratie_freeze, heen_freeze, "
        "retour_deadline, cutover as Europe/Amsterdam date-times), validated at start-up; "
        "`hub freeze plan` writes one. Empty: no freeze.",
    )
    demo_tokens_file: Path | None = Field(
        default=None,
        description="JSON file {party code: bearer token} that `hub demo` sends with; "
        "`hub up --demo` writes it (mode 0600) under data_dir and sets this.",
    )
    cli_embedded: bool = Field(
        default=False,
        description="Let a CLI command (`hub party`, `trace`, `dlq`, ...) that finds neither "
        "HUB_DATABASE_URL nor a running `hub up` on data_dir (its hub.json) start the embedded "
        "PostgreSQL of data_dir for its own duration. Off: such a command refuses (exit 2), so "
        "that it never writes to a database no running hub reads.",
    )
    host: str = Field(default="127.0.0.1", description="Interface every HTTP endpoint binds.")
    embedded_kafka_port: Port = Field(default=19092, description="Port of the embedded broker.")
    embedded_postgres_port: Port = Field(
        default=15432, description="Port of the embedded PostgreSQL."
    )
    ggk_port: Port = Field(default=8081, description="HTTP port of the GGK-like adapter.")
    vecozo_port: Port = Field(default=8082, description="HTTP port of the VECOZO-like adapter.")
    core_port: Port = Field(default=8090, description="Health and metrics port of the hub core.")
    topic_prefix: str = Field(
        default="isd",
        pattern=r"^[a-z][a-z0-9-]{0,30}$",
        description="Prefix of every topic name, so several hubs can share one cluster.",
    )
    partitions: int = Field(
        default=6, ge=1, le=1024, description="Partitions per topic created by the hub."
    )
    replication_factor: int = Field(
        default=1, ge=1, le=7, description="Replication factor of topics the hub creates."
    )
    consumer_group: str = Field(
        default="isd-hub-core", min_length=1, description="Consumer group of the hub core."
    )
    fetch_max_wait_ms: int = Field(
        default=50,
        ge=0,
        le=5000,
        description="How long the core's intake and the adapters' delivery consumers let a fetch "
        "wait for HUB_FETCH_MIN_BYTES; the most a quiet hop adds to a message's latency.",
    )
    fetch_min_bytes: int = Field(
        default=65_536,
        ge=1,
        le=1_048_576,
        description="How much data those fetches wait for (at most HUB_FETCH_MAX_WAIT_MS). A "
        "broker answers a fetch as soon as it has this much: 1 makes a batch of every message "
        "or two at low rates, and each batch pays its ~20 statements and round trips; 64 KiB "
        "(~20 messages) fills in 10 ms at 2,000 msg/s (make bench-retour, docs/scale.md).",
    )
    batch_max_records: int = Field(
        default=500, ge=1, le=10_000, description="Most messages the core handles per batch."
    )
    consumer_session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        le=300_000,
        description="Consumer-group session timeout of the core's and the adapters' consumers "
        "(heartbeats every third of it, at most every 3 s). tansu holds every JoinGroup for half "
        "of it, so a shorter one starts a consumer sooner; too short and a busy process is "
        "taken for dead and its partitions are rebalanced.",
    )
    intake_max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description="How often the core tries a message whose decision raises an unexpected "
        "error (its batch is redelivered) before that message alone is dead-lettered.",
    )
    intake_stall_s: float = Field(
        default=120.0,
        gt=0,
        description="The core's /readyz says not ready when intake committed nothing for this "
        "long while ingress records wait (consumer lag above 0).",
    )
    producer_linger_ms: int = Field(default=2, ge=0, le=1000, description="Producer linger.")
    metadata_max_age_ms: int = Field(
        default=5000,
        ge=500,
        le=300_000,
        description="How often every Kafka client refreshes its topic metadata. A broker that "
        "lost its data may get topics back with other partitions (tansu creates a topic a "
        "client asks for with its own default); consumers read the new ones within this time.",
    )
    producer_batch_bytes: int = Field(
        default=1_048_576,
        ge=16_384,
        description="Producer batch size; aiokafka's 16 KiB default caps sending at ~11k msg/s.",
    )
    db_pool_min: int = Field(default=1, ge=0, le=100, description="Smallest database pool.")
    db_pool_max: int = Field(default=10, ge=1, le=200, description="Largest database pool.")
    startup_timeout_s: float = Field(
        default=15.0, gt=0, le=300, description="How long to wait for a dependency to answer."
    )
    person_key_secret: SecretStr = Field(
        default=SecretStr("isd-hub-development-only-secret"),
        min_length=16,
        description="Secret for the keyed hash that pseudonymises BSNs in keys, state and "
        "events. Set a long random value in production and keep it stable: the built-in one is "
        "public, and `hub core`, `relay` and `adapter` refuse it once HUB_KAFKA_BOOTSTRAP or "
        "HUB_DATABASE_URL is set.",
    )
    deadline_scan_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How often the core looks for heenberichten past their retour deadline.",
    )
    signal_scan_s: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        description="How often the core looks for toewijzingen whose 305 or 307 is overdue.",
    )
    payload_retention_hours: int = Field(
        default=24 * 30,
        ge=1,
        le=24 * 366 * 10,
        description="Hours after which `hub purge` empties a message's payload (BSN and care "
        "data) once nothing needs it any more; its audit metadata stays.",
    )
    purge_interval_s: float = Field(
        default=3600.0,
        ge=0,
        le=7 * 86400,
        description="How often the core runs the purge of HUB_PAYLOAD_RETENTION_HOURS by "
        "itself (what `hub purge` does); 0: never, purge with `hub purge` only.",
    )
    core_relay: bool = Field(
        default=True,
        description="Run the outbox relay inside `hub core`. False: `hub up` runs it as its own "
        "process (`hub relay`), which can be restarted or scaled on its own.",
    )
    relay_hold_s: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="With the relay inside `hub core`, the core publishes what it queued "
        "itself right after each commit; no relay claims those outbox rows for this long. "
        "Only after a crash (or a failed send) are they claimed, so this is how long such "
        "rows wait: longer than the slowest publish of one batch.",
    )
    relay_port: Port = Field(
        default=8091, description="Health and metrics port of `hub relay` (its own process)."
    )
    broker_check_s: float = Field(
        default=2.0,
        gt=0,
        le=600,
        description="How often every process checks that the broker still has the hub's "
        "topics and its cluster id: a broker that lost its data (the embedded one keeps it in "
        "memory) gets the topics again, the relay re-sends undelivered egress and the adapters "
        "re-produce journaled uploads the ledger lacks.",
    )
    ingress_journal: bool = Field(
        default=True,
        description="Adapters journal every upload in PostgreSQL before the broker takes it, "
        "until the ledger has it, so a broker that loses its data loses no accepted upload. "
        "Off saves one database write per upload and gives that guarantee up.",
    )
    journal_trim_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="How often an adapter deletes journaled uploads the ledger already has.",
    )
    upload_body_timeout_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How long an adapter waits for the next part of an upload's body (between "
        "two reads, like nginx's client_body_timeout) before answering 408 and closing the "
        "connection, so a half-sent upload cannot hold its connection and upload slot.",
    )
    upload_max_in_flight: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="Most uploads one adapter handles at once; one more is answered 503 with "
        "Retry-After at once (before its body is read) instead of queueing without bound.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level of every hub process."
    )

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        parts = [p.strip() for p in value.split(",")]
        for part in parts:
            if not _HOSTPORT.match(part):
                raise ValueError(f"{part!r} is not host:port")
            port = int(part.rsplit(":", 1)[1])
            if not 1 <= port <= 65535:
                raise ValueError(f"port {port} in {part!r} is out of range")
        return ",".join(parts)

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not re.match(r"^postgres(ql)?://[^\s/]+(/[^\s]*)?$", value):
            raise ValueError("expected postgresql://user:password@host:port/database")
        return value

    @model_validator(mode="after")
    def _pool_order(self) -> Settings:
        if self.db_pool_min > self.db_pool_max:
            raise ValueError("db_pool_min must not exceed db_pool_max")
        return self

    @property
    def extra_pack_dirs(self) -> tuple[Path, ...]:
        return tuple(Path(p) for p in self.pack_dirs.split(":") if p.strip())

    @property
    def freeze_path(self) -> Path | None:
        return Path(self.freeze_file) if self.freeze_file.strip() else None

    @property
    def consumer_heartbeat_ms(self) -> int:
        """aiokafka's heartbeat (3 s) unless the session is shorter than three of them."""
        return min(3000, self.consumer_session_timeout_ms // 3)

    def topic(self, suffix: str) -> str:
        return f"{self.topic_prefix}.{suffix}"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; turn validation errors into one readable line each."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            env = f"HUB_{field.upper()}"
            # Never echo a value that may hold a password or secret.
            # A check of several fields (loc empty) gets every input: show none of it.
            secret = field in _SECRET_FIELDS or not err["loc"]
            shown = "" if secret else f" (got {err.get('input')!r})"
            lines.append(f"{env}: {err['msg']}{shown}")
        raise ConfigError("invalid settings: " + "; ".join(lines)) from None
