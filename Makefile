# Two entry points: `make demo` opens the console on the demo clinic, `make test` runs every check.
# `make check` is the fast lane while working: lint, types and every test not marked slow.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest -n 3 --dist loadgroup -q

.PHONY: demo test check install lint

$(BIN)/chairside: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(BIN)/chairside

install: $(BIN)/chairside

demo: install
	$(BIN)/chairside --demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(PYTEST)

check: lint
	$(PYTEST) -m "not slow"
