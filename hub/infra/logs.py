"""One logging set-up for every hub process: plain lines, component-tagged, no payloads."""

from __future__ import annotations

import logging
import sys
from typing import Final

# Kept at WARNING whatever HUB_LOG_LEVEL says. Privacy, not only noise: aiokafka's producer
# logs every record it sends at DEBUG, key and value, i.e. the whole message with its BSN and
# names (tests/security/test_privacy.py); it also chats about every rebalance at INFO.
QUIET_LOGGERS: Final = ("aiokafka", "uvicorn.access", "httpx")


def quiet_libraries(root_level: int | str) -> None:
    """Keep the libraries that may log payloads or noise at WARNING or above."""
    level = logging.getLevelName(root_level) if isinstance(root_level, str) else root_level
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, level))


def configure(level: str, component: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)-7s {component:<14} %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries(root.level)
