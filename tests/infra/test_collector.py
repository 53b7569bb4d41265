"""The served processes collect the young generation every 50,000 allocations; the older
generations keep their ratios, and a test process keeps Python's defaults."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from hub.infra.runtime import tune_collector
from hub.ops.cli import run


@pytest.fixture
def restored() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_tuning_raises_the_young_threshold_only(restored: tuple[int, int, int]) -> None:
    tune_collector()
    assert gc.get_threshold() == (50_000, restored[1], restored[2])


def test_every_served_process_tunes_its_collector_and_tests_do_not() -> None:
    assert "tune_collector" in run._serve.__code__.co_names
    assert gc.get_threshold()[0] < 50_000  # no lifespan run by the tests changed it
