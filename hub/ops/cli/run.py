"""`hub up`, `hub core`, `hub relay`, `hub adapter`: start the whole hub, or run one of its
processes (each serving HTTP on its HUB_*_PORT)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from hub.infra import preflight
from hub.ops import startchecks
from hub.ops.cli.connect import need
from hub.ops.cli.packs import load_registry
from hub.settings import Settings


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from hub.ops.supervisor import Supervisor

    load_registry(settings, [], complete=True)  # refuse an incomplete pack set before starting
    startchecks.check(settings, "up")  # an external broker or database: no development secret
    if not startchecks.external(settings):
        startchecks.mark_embedded_children()  # they may use the development defaults
    return Supervisor(settings, demo=args.demo).run()


def _serve(app: object, host: str, port: int, level: str, **options: Any) -> int:
    import uvicorn

    from hub.infra.embedded import ensure_port_free
    from hub.infra.httpserve import BoundedHttp
    from hub.infra.runtime import tune_collector

    ensure_port_free(host, port, "this process", "its HUB_*_PORT setting")
    options.setdefault("http", BoundedHttp)  # httptools, its request head bounded
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        # uvloop (and httptools, above), named rather than left to "auto": a missing one is
        # an error here, not a quiet fall back to the slower pure-Python pair (docs/scale.md).
        loop="uvloop",
        log_level=level.lower(),
        lifespan="on",
        access_log=False,
        log_config=None,  # keep the hub's own log format
        **options,
    )
    server = uvicorn.Server(config)
    tune_collector()
    server.run()
    # uvicorn reports a failed lifespan start-up by not having started.
    return 0 if server.started else 3


def cmd_core(args: argparse.Namespace, settings: Settings) -> int:
    from hub.app import core_app
    from hub.infra.logs import configure

    configure(settings.log_level, "core")
    bootstrap = need(settings.kafka_bootstrap, "HUB_KAFKA_BOOTSTRAP", "core")
    database_url = need(settings.database_url, "HUB_DATABASE_URL", "core")
    load_registry(settings, [], complete=True)  # before any connection: the packs are local
    startchecks.check(settings, "core")
    asyncio.run(preflight.check(settings, bootstrap, database_url))
    app = core_app(settings, bootstrap, database_url)
    return _serve(app, settings.host, settings.core_port, settings.log_level)


def cmd_relay(args: argparse.Namespace, settings: Settings) -> int:
    from hub.app import relay_app
    from hub.infra.logs import configure

    configure(settings.log_level, "relay")
    bootstrap = need(settings.kafka_bootstrap, "HUB_KAFKA_BOOTSTRAP", "relay")
    database_url = need(settings.database_url, "HUB_DATABASE_URL", "relay")
    startchecks.check(settings, "relay")
    asyncio.run(preflight.check(settings, bootstrap, database_url))
    app = relay_app(settings, bootstrap, database_url)
    return _serve(app, settings.host, settings.relay_port, settings.log_level)


def cmd_adapter(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.registry import get_adapter
    from hub.app import adapter_app
    from hub.infra.logs import configure

    adapter = get_adapter(args.name)
    configure(settings.log_level, f"adapter-{args.name}")
    bootstrap = need(settings.kafka_bootstrap, "HUB_KAFKA_BOOTSTRAP", "adapter")
    database_url = need(settings.database_url, "HUB_DATABASE_URL", "adapter")
    startchecks.check(settings, f"adapter {args.name}")
    asyncio.run(preflight.check(settings, bootstrap, database_url))
    port = settings.ggk_port if adapter.node.value == "ggk" else settings.vecozo_port
    options = adapter_server_options(settings)
    app = adapter_app(args.name, settings, bootstrap, database_url)
    return _serve(app, settings.host, port, settings.log_level, **options)


def adapter_server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.Config's keyword arguments for an adapter: HTTPS and client certificates when
    configured (adapters/tlsserve.py), and, with HUB_ADAPTER_TRUSTED_PROXIES, X-Forwarded-Proto
    and X-Forwarded-For believed from those proxies only (uvicorn's default: 127.0.0.1)."""
    from adapters.clientcert import parse_networks
    from adapters.tlsserve import server_options

    options = server_options(settings)
    proxies = parse_networks(settings.adapter_trusted_proxies)
    if proxies:
        options["forwarded_allow_ips"] = [str(network) for network in proxies]
    return options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = sub.add_parser("up", help="start broker, database, core and both adapters")
    up.add_argument("--demo", action="store_true", help="also feed realistic demo traffic")
    up.set_defaults(func=cmd_up)

    core = sub.add_parser(
        "core", help="run the hub core (needs HUB_KAFKA_BOOTSTRAP, HUB_DATABASE_URL)"
    )
    core.set_defaults(func=cmd_core)

    sub.add_parser(
        "relay", help="run the outbox relay alone (for a core with HUB_CORE_RELAY=false)"
    ).set_defaults(func=cmd_relay)

    adapter = sub.add_parser("adapter", help="run one node adapter (ggk or vecozo)")
    adapter.add_argument("name", help="ggk or vecozo")
    adapter.set_defaults(func=cmd_adapter)
