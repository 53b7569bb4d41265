# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# The virtualenv is (re)built whenever pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?=
PACKAGES := hub handlers adapters benchmarks

.PHONY: run test lint typecheck pytest clean venv bench bench-validation bench-pipeline

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
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy $(PACKAGES)

pytest: $(STAMP)
	$(BIN)/pytest

## make bench: benchmarks that print their figures (not part of make test)
bench: bench-validation bench-pipeline

bench-validation: $(STAMP)
	$(BIN)/python -m benchmarks.validation

## make bench-pipeline [BENCH_ARGS=--quick]: hub core vs the raw reference pipeline
bench-pipeline: $(STAMP)
	$(BIN)/python -m benchmarks.pipeline $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
