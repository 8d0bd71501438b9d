# ggzy — the two commands are `make run` and `make test`; everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres lint format bench bench-quick fuzz clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: the platform on the embedded SQLite database under ./var/, with demo data, at http://127.0.0.1:8000
## (PORT=8080 picks another port),
## and a local witness (its own key and storage in ./witness-data, or WITNESS_DIR; port 8001) that cosigns every
## checkpoint; the witness stops when the platform does. Its storage is kept OUTSIDE the data directory: whoever
## holds the data directory must not be able to reset the witness too. `ggzy ledger verify` then checks the ledger
## against it (docs/ledger.md). The witness pins the platform's keys at its first start: `make clean` removes both.
## Beside them a bank simulator (`ggzy bank serve`, decision 0034; its own key and books in ./bank-data, or BANK_DIR,
## also outside the data directory; port 8003, or BANK_PORT) that pushes signed credit notices to the platform; its
## URL and public key reach the platform as GGZY_BANK_URL and GGZY_BANK_PUBLIC_KEY. It stops with the platform too.
## The demo pays its deposits there and drives the bank's clock along its story (decision 0039), so it needs a bank with
## empty books: when the database is new (var/ggzy.db absent), books left in ./bank-data move aside to bank-data.<time>.
# `make run PORT=8080`: the portal's port (GGZY_PORT)
PORT ?= 8000
WITNESS_PORT ?= 8001
WITNESS_DIR ?= witness-data
BANK_PORT ?= 8003
BANK_DIR ?= bank-data
WITNESS_ARGS ?=  # `make run WITNESS_ARGS=--reset`: its operator re-initialises the witness (docs/ledger.md)
run: $(STAMP)
	@data="$${GGZY_DATA_DIR:-var}"; witness_dir="$(WITNESS_DIR)"; \
	case "$$(realpath -m "$$witness_dir")/" in "$$(realpath -m "$$data")/"*) \
		echo "WITNESS_DIR=$$witness_dir is inside the data directory $$data: whoever holds the data directory could reset the witness too. Keep it elsewhere." >&2; exit 2;; esac; \
	case "$$(realpath -m "$(BANK_DIR)")/" in "$$(realpath -m "$$data")/"*) \
		echo "BANK_DIR=$(BANK_DIR) is inside the data directory $$data: the bank's books are the bank's, not the platform's. Keep them elsewhere." >&2; exit 2;; esac; \
	if [ -z "$$GGZY_DATABASE_URL" ] && [ ! -e "$$data/ggzy.db" ] && [ -e "$(BANK_DIR)/bank.sqlite3" ]; then \
		old_bank="$(BANK_DIR).$$(date +%Y%m%d-%H%M%S)"; \
		echo "a new database: the demo needs a bank with empty books (decision 0039); the bank's books of the earlier run move to $$old_bank"; \
		mv "$(BANK_DIR)" "$$old_bank" || exit 1; fi; \
	if [ -d "$$data/witness" ] && [ ! -e "$$witness_dir" ]; then \
		echo "moving the witness's storage out of the data directory: $$data/witness -> $$witness_dir"; mv "$$data/witness" "$$witness_dir" || exit 1; fi; \
	keys=$$($(BIN)/ggzy ledger keys) || exit 1; \
	$(BIN)/ggzy witness serve --dir "$$witness_dir" --port $(WITNESS_PORT) $(WITNESS_ARGS) $$(printf -- '--platform-key=%s ' $$keys) & \
	witness=$$!; \
	$(BIN)/ggzy bank serve --dir "$(BANK_DIR)" --port $(BANK_PORT) --notify-url "http://127.0.0.1:$(PORT)/api/v1/finance/bank/notices" & \
	bank=$$!; trap 'kill $$witness $$bank 2>/dev/null; wait $$witness $$bank 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	for attempt in $$(seq 60); do \
		kill -0 $$witness 2>/dev/null || { echo "!!! the witness did not start: its reason is above (docs/ledger.md, 'The local witness'). Once you know why, make run WITNESS_ARGS=--reset re-initialises it." >&2; exit 1; }; \
		$(BIN)/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$(WITNESS_PORT)/info', timeout=1)" 2>/dev/null && break; \
		sleep 0.5; \
	done; \
	for attempt in $$(seq 60); do \
		kill -0 $$bank 2>/dev/null || { echo "!!! the bank simulator did not start: its reason is above (decision 0034)." >&2; exit 1; }; \
		bank_key=$$($(BIN)/python -c "import json, urllib.request; print(json.load(urllib.request.urlopen('http://127.0.0.1:$(BANK_PORT)/info', timeout=1))['public_key'])" 2>/dev/null) && break; \
		sleep 0.5; \
	done; \
	export GGZY_LEDGER_WITNESS_URLS="$${GGZY_LEDGER_WITNESS_URLS:-http://127.0.0.1:$(WITNESS_PORT)}"; \
	export GGZY_BANK_URL="$${GGZY_BANK_URL:-http://127.0.0.1:$(BANK_PORT)}" GGZY_BANK_PUBLIC_KEY="$${GGZY_BANK_PUBLIC_KEY:-$$bank_key}"; \
	GGZY_PORT=$(PORT) $(BIN)/ggzy serve --demo

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

# the benchmarks' peers (pymerkle) are the optional extra "bench"
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $(BENCH_STAMP)

## make bench: every benchmark at its full size, one JSON line each; make bench-quick: each at its smallest (seconds)
bench: $(BENCH_STAMP)
	@for script in bench/[!_]*.py; do echo "=== $$script $(BENCH_ARGS)" >&2; $(BIN)/python $$script $(BENCH_ARGS) || exit 1; done

bench-quick:
	@$(MAKE) --no-print-directory bench BENCH_ARGS=--quick

clean:
	rm -rf $(VENV) var witness-data bank-data bank-data.* .pytest_cache .mypy_cache .ruff_cache
