"""Benchmarks: figures printed, not asserted (they are not part of `make test`)."""
