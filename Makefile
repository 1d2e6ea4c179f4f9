# The README's two commands: `make demo` and `make test`, from a fresh clone with only
# Python and apt present.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the test suite drives: the browser for the worker pages and panels; nginx and
# wrk for the loopback deployment test and the scale-out benchmark. (PostgreSQL, with pg_dump and
# pg_restore, comes with the machine: the suite needs its server anyway.)
SYSTEM_TEST_PACKAGES := chromium nginx wrk

.PHONY: demo test install install-test system-test-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

system-test-deps:
	@missing=""; for p in $(SYSTEM_TEST_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# `make demo PROVIDER=prolific` (or link-out) runs the same study on another provider's local stand-in.
PROVIDER ?= mturk

demo: install
	$(BIN)/workbench init
	$(BIN)/workbench demo --provider $(PROVIDER)

# The suite runs on as many workers as the machine has cores, whole files to a worker (module fixtures
# start their servers once): `make test PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= auto

test: install-test system-test-deps
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

bench: install
	$(BIN)/python benchmarks/bulk_tasks.py
	$(BIN)/python benchmarks/sync_scale.py
	$(BIN)/python benchmarks/export_scale.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
