"""Reading the hub's TOML configuration files (parties, eigen-bijdrage policy, freeze
calendar) with one-line errors that name the file and the setting that points at it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from hub.domain.errors import ConfigError


def read_toml(path: Path, where: str, setting: str) -> dict[str, Any]:
    """The parsed file; `where` starts every error message, `setting` is named when the file
    is missing."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such file (set {setting})") from None
    except OSError as exc:
        raise ConfigError(f"{where}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from None
