"""Liveness, readiness and metrics endpoints shared by every hub process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.infra.runtime import Runtime

Check = Callable[[], Awaitable[bool]]


def health_routes(
    runtime: Runtime, component: str, more: Mapping[str, Check] | None = None
) -> list[BaseRoute]:
    """The probes of a process on `runtime`: database and broker, plus `more` checks."""

    async def database() -> bool:
        return bool(await runtime.pool.fetchval("SELECT 1") == 1)

    async def broker() -> bool:
        return bool(await runtime.broker.ping(timeout=2.0))

    return probe_routes(component, {"database": database, "broker": broker, **(more or {})})


def probe_routes(component: str, checks: Mapping[str, Check]) -> list[BaseRoute]:
    """/healthz, /readyz (ready when every check passes) and /metrics."""

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "component": component})

    async def readyz(_: Request) -> Response:
        results: dict[str, bool] = {}
        for name, check in checks.items():
            try:
                results[name] = await check()
            except Exception:  # blind: a check that fails in any way says "not ready"
                results[name] = False
        ready = all(results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    handlers: list[tuple[str, Callable[[Request], Awaitable[Response]]]] = [
        ("/healthz", healthz),
        ("/readyz", readyz),
        ("/metrics", metrics),
    ]
    return [Route(path, fn, methods=["GET"], include_in_schema=False) for path, fn in handlers]
