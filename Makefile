# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# The virtualenv is (re)built whenever pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?=
# Test workers: each runs whole test files (in file order, as alone) with its own broker and
# PostgreSQL; 2 for the 2-core reference machine.
PYTEST_WORKERS ?= 2
PACKAGES := hub handlers adapters benchmarks

.PHONY: run test test-fast lint typecheck pytest clean venv bench bench-validation bench-intake bench-pipeline bench-import bench-scale bench-retour \
	observability-tools xml-tools browser-tools soak

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

## make run [DEMO=1]: start broker, PostgreSQL, hub core and both adapters (embedded defaults)
run: $(STAMP)
	$(BIN)/hub up $(if $(DEMO),--demo,)

## make test: lint, format check, strict type check and every test
test: $(STAMP) observability-tools xml-tools browser-tools lint typecheck pytest

## make test-fast: the tests that need no broker, PostgreSQL or hub processes (markers set by
## tests/conftest.py from the fixtures each test uses), without lint: the loop while editing
test-fast: $(STAMP)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m "not pg and not kafka and not e2e"

## make observability-tools: Debian's prometheus + promtool for the rule and dashboard tests (and kcat);
## installed only when missing and only as root (otherwise those tests skip, saying why)
observability-tools:
	@if command -v promtool >/dev/null && command -v prometheus >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q prometheus >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && apt-get install -y -q prometheus >/dev/null)) && \
		echo "observability-tools: installed prometheus $$(promtool --version 2>&1 | head -1)"; \
	else echo "observability-tools: prometheus/promtool missing and not root; their tests skip"; fi
	@if ! command -v kcat >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q kcat >/dev/null 2>&1 && echo "observability-tools: installed kcat") || \
		echo "observability-tools: kcat not installed; its README test skips"; fi
	@if command -v promtool >/dev/null; then \
		cd observability/prometheus && promtool check rules alerts.yml >/dev/null && \
		promtool test rules alerts.test.yml sleutelmomenten.test.yml >/dev/null && echo "promtool: rules checked and tested"; \
	fi

## make xml-tools: Debian's xmllint (libxml2-utils), a second validator for the pack instance
## tests; installed only when missing and only as root (otherwise that test skips, saying why)
xml-tools:
	@if command -v xmllint >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q libxml2-utils >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && apt-get install -y -q libxml2-utils >/dev/null)) && \
		echo "xml-tools: installed $$(xmllint --version 2>&1 | head -1)"; \
	else echo "xml-tools: xmllint missing and not root; the xmllint instance test skips"; fi

## make browser-tools: Debian's chromium, which renders the adapters' /docs and /redoc headless
## with the network off (tests/test_docs_offline.py); installed only when missing and only as
## root (otherwise that test skips, saying why)
browser-tools:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q chromium >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) && \
		echo "browser-tools: installed $$(chromium --version 2>/dev/null | head -1)"; \
	else echo "browser-tools: chromium missing and not root; the offline /docs test skips"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy $(PACKAGES)

pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

## make bench: benchmarks that print their figures (not part of make test)
bench: bench-validation bench-intake bench-pipeline

bench-validation: $(STAMP)
	$(BIN)/python -m benchmarks.validation

## make bench-intake: CPU per message of the core's intake, in process (add --profile for cProfile)
bench-intake: $(STAMP)
	$(BIN)/python -m benchmarks.intake $(BENCH_ARGS)

## make bench-pipeline [BENCH_ARGS=--quick]: hub core vs the raw reference pipeline
bench-pipeline: $(STAMP)
	$(BIN)/python -m benchmarks.pipeline $(BENCH_ARGS)

## make bench-import [BENCH_ARGS="--messages 100000"]: the rate of `hub history import` (a ZIP of
## 301/305/307 histories into an embedded PostgreSQL, then the same again: nothing changes)
bench-import: $(STAMP)
	$(BIN)/python -m benchmarks.history_import $(BENCH_ARGS)

## make bench-scale [BENCH_ARGS="--quick" | "--messages 2000000"]: two years of a region (10M
## messages by default, filled with INSERT ... SELECT) against an empty ledger in the same run:
## intake, trace, each periodic scan's rows examined, bytes per message (docs/scale.md)
bench-scale: $(STAMP)
	$(BIN)/python -m benchmarks.scale $(BENCH_ARGS)

## make bench-retour [BENCH_ARGS="--rate 200 --seconds 60"]: the mix uploaded over HTTP to both
## adapters; how soon a rejected upload's retour is in its sender's inbox (p99 target 1 s), and
## each process's CPU per uploaded message (docs/scale.md)
bench-retour: $(STAMP)
	$(BIN)/python -m benchmarks.retour $(BENCH_ARGS)

## make soak [SOAK_ARGS="--duration 600 --rate 60"]: sustained uploads with faults injected at
## random moments (kill -9 of core, relay, adapters; PostgreSQL and broker restarts), then the
## exactly-once checks; prints loads held and faults survived, exits 1 on any loss or duplicate
soak: $(STAMP)
	$(BIN)/python -m benchmarks.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
