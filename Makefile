# ggzy — the two commands are `make run` and `make test`; everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres lint format bench fuzz clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: the platform on the embedded SQLite database under ./var/, with demo data, at http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/ggzy serve

## make test: the whole suite on SQLite, then every database test again on PostgreSQL
test: $(STAMP)
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite: $(STAMP)
	@echo "=== test run 1 of 2: SQLite (whole suite, with the browser tests) ==="
	@if [ ! -x "$${GGZY_CHROMIUM:-/usr/bin/chromium}" ]; then \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!!! Chromium is NOT installed at $${GGZY_CHROMIUM:-/usr/bin/chromium}: the browser tests will be SKIPPED."; \
		echo "!!! Install it: apt-get install -y chromium (.ci/run does)."; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		if [ "$$CI" = "true" ]; then echo "CI=true: a missing Chromium is a failure"; exit 1; fi; \
	fi
	GGZY_TEST_DATABASE_URL= $(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "=== test run 2 of 2: PostgreSQL ($(PG_TEST_URL)), every database test ==="
	@if $(BIN)/python -c "import sys, psycopg; psycopg.connect('$(PG_TEST_URL)'.replace('postgresql+psycopg', 'postgresql'), connect_timeout=5).close()" 2>/dev/null; then \
		GGZY_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q -n 2 -m db $(PYTEST_ARGS); \
	else \
		echo ""; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!!! PostgreSQL is NOT reachable at $(PG_TEST_URL)"; \
		echo "!!! The database tests ran on SQLite only. Start PostgreSQL or set PG_TEST_URL."; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		if [ "$$CI" = "true" ]; then echo "CI=true: a missing PostgreSQL is a failure"; exit 1; fi; \
	fi

## make fuzz: schemathesis over the OpenAPI contract for FUZZ_SECONDS (phases examples, coverage, fuzzing; no server
## error, no undocumented status or content type) as a visitor, staff and admin, against the platform as make run starts
## it (own data directory under a temporary directory, demo data, a free port). The command that starts it is
## tests/contract_fuzz.py's SERVER; FUZZ_SERVER="..." replaces it.
FUZZ_SECONDS ?= 240
FUZZ_SERVER ?=
fuzz: $(STAMP)
	FUZZ_SERVER="$(FUZZ_SERVER)" $(BIN)/python -m tests.contract_fuzz --seconds $(FUZZ_SECONDS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	@for script in bench/[!_]*.py; do $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
