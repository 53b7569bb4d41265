"""`hub demo`: feed demo traffic into the running adapters (hub.ops.demo)."""

from __future__ import annotations

import argparse

from hub.settings import Settings


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from hub.infra.logs import configure
    from hub.ops.demo import Demo, load_tokens

    configure(settings.log_level, "demo")
    base = f"http://{settings.host}"
    tokens = load_tokens(settings.demo_tokens_file)
    demo = Demo(
        f"{base}:{settings.ggk_port}", f"{base}:{settings.vecozo_port}", args.interval, tokens
    )
    return demo.run()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="feed demo traffic into running adapters")
    demo.add_argument(
        "--interval", type=float, default=0.5, help="seconds between trajectories (default 0.5)"
    )
    demo.set_defaults(func=cmd_demo)
