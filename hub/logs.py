"""One logging set-up for every hub process: plain lines, component-tagged, no payloads."""

from __future__ import annotations

import logging
import sys


def configure(level: str, component: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)-7s {component:<14} %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The Kafka client is chatty about every rebalance at INFO; keep it to warnings.
    for noisy in ("aiokafka", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
