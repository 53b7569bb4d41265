"""The explicit table of node adapters, and the one way to build an adapter's app."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette

from adapters import ggk, vecozo
from adapters.app import build_app
from adapters.base import NodeAdapter
from hub.domain.errors import ConfigError
from hub.infra.runtime import Runtime

ADAPTERS: dict[str, NodeAdapter] = {
    "ggk": ggk.ADAPTER,
    "vecozo": vecozo.ADAPTER,
}


def get_adapter(name: str) -> NodeAdapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise ConfigError(f"unknown adapter {name!r}; known adapters: {known}") from None


def build_adapter_app(
    name: str,
    runtime: Runtime,
    resources: Callable[[Runtime], AbstractAsyncContextManager[None]],
) -> Starlette:
    return build_app(get_adapter(name), runtime, resources)
