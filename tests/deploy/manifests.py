"""What the deploy tests share: where the manifests are, how a process's effective settings
are worked out, and what the hub itself says (settings, commands, health routes)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from hub.infra.health import health_routes
from hub.ops.cli.main import build_parser
from hub.settings import Settings

from .yamlish import load_all

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"

# Files of the "Observability" issue that deploy/ mounts. Written alongside by another
# engineer, so they may be missing from a checkout; any other referenced file must exist.
OBSERVABILITY = ROOT / "observability"
PENDING_OBSERVABILITY = frozenset(
    {
        OBSERVABILITY / "prometheus" / "alerts.yml",
        OBSERVABILITY / "grafana",
        DEPLOY / "otel-collector.yaml",
    }
)
# Not deploy/'s own YAML (not held to the subset reader): the collector configuration.
FOREIGN_YAML = frozenset({DEPLOY / "otel-collector.yaml"})

HUB_NAME = re.compile(r"\bHUB_[A-Z0-9_]*[A-Z0-9]\b")
OTEL_NAME = re.compile(r"\bOTEL_[A-Z0-9_]*[A-Z0-9]\b")
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+][^}]*)?\}")


def yaml_files() -> list[Path]:
    """deploy/'s own YAML files."""
    found = (p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))
    return sorted(p for p in found if p not in FOREIGN_YAML)


def compose() -> dict[str, Any]:
    (document,) = load_all(COMPOSE)
    assert isinstance(document, dict)
    return document


def k8s_documents() -> list[dict[str, Any]]:
    """Every object of the kustomization's resources, in order."""
    documents: list[dict[str, Any]] = []
    for resource in kustomization()["resources"]:
        documents.extend(load_all(K8S / resource))
    return documents


def kustomization() -> dict[str, Any]:
    (document,) = load_all(K8S / "kustomization.yaml")
    assert isinstance(document, dict)
    return document


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (the format of compose env_file and kustomize `envs`)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path}:{number}: not KEY=VALUE"
        assert key not in values, f"{path}:{number}: {key} set twice"
        values[key] = value
    return values


def setting_names() -> set[str]:
    return {f"HUB_{name.upper()}" for name in Settings.model_fields}


def health_paths() -> set[str]:
    """The paths every hub process serves for probes (read from hub/infra/health.py's routes)."""
    routes = health_routes(None, "probe")  # type: ignore[arg-type]  # routes only, never called
    return {getattr(route, "path", "") for route in routes}


def hub_command(argv: list[str]) -> list[list[str]]:
    """The `hub` invocations of a container command: `["core"]`, or a `sh -c` chain of them.
    Each must parse with the real `hub` argument parser."""
    if argv[:2] == ["sh", "-c"] and len(argv) == 3:
        chains = [shlex.split(part) for part in argv[2].split("&&")]
        assert all(c[0] == "hub" for c in chains), argv
        commands = [c[1:] for c in chains]
    else:
        commands = [argv]
    parser = build_parser()
    for command in commands:
        parser.parse_args(command)  # exits (SystemExit) on an unknown command or option
    return commands


def served_port_setting(command: list[str]) -> str | None:
    """Which HUB_*_PORT a `hub` command serves HTTP on (hub/ops/cli/main.py), or None."""
    if command[:1] == ["core"]:
        return "HUB_CORE_PORT"
    if command[:1] == ["adapter"]:
        return f"HUB_{command[1].upper()}_PORT"
    return None


def effective_port(env: dict[str, str], setting: str) -> int:
    field = setting.removeprefix("HUB_").lower()
    return int(env.get(setting, Settings.model_fields[field].default))


def settings_from(env: dict[str, str]) -> Settings:
    """Validate HUB_* values as the process would at start-up; `${X:?...}` placeholders of
    compose interpolation become a plausible secret."""
    values = {
        key.removeprefix("HUB_").lower(): _INTERPOLATION.sub("s3cret-from-the-environment", v)
        for key, v in env.items()
        if key.startswith("HUB_")
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def required_settings() -> set[str]:
    """Settings a deployed process must be given: every field without a usable default (None:
    `hub core`/`hub adapter` refuse to start without it), every default that points at a
    built-in demo file, the development-only person-key secret, and the bind address. An
    optional file (a `*_file` that defaults to None: a CA, a TLS certificate) is not required:
    unset, its feature is off; nor is a door's public URL (`*_public_url`): unset, the door
    builds it from the request, through the trusted proxies."""
    required = {"HUB_PERSON_KEY_SECRET", "HUB_HOST"}
    for name, field in Settings.model_fields.items():
        if name == "demo_tokens_file":  # only `hub demo` reads it
            continue
        if name.endswith(("_file", "_public_url")) and field.default is None:
            continue
        if field.default is None or "demo" in str(field.default):
            required.add(f"HUB_{name.upper()}")
    return required


def interpolated(value: str) -> bool:
    return bool(_INTERPOLATION.search(value))


def image_is_pinned(image: str) -> bool:
    name, _, tag = image.rpartition(":")
    if "@sha256:" in image:
        return True
    return bool(name) and "/" not in tag and tag != "latest" and any(c.isdigit() for c in tag)
