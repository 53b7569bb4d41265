"""What the hub's processes logged during one test (their log files, from a mark on)."""

from __future__ import annotations

import re

from tests.e2e.stack import Stack

_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


class LogMark:
    """Remembers where each process's log ended, to read what came after."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.offsets = {name: len(stack.logged(name)) for name in stack.procs}

    def since(self, name: str) -> str:
        return self.stack.logged(name)[self.offsets.get(name, 0) :]

    def count(self, needle: str) -> dict[str, int]:
        """Log records (not traceback lines) containing `needle`, per process."""
        return {
            name: sum(
                needle in line and bool(_RECORD.match(line))
                for line in self.since(name).splitlines()
            )
            for name in self.stack.procs
        }
