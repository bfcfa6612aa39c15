# Two commands: `make run` (venv, install, migrate, demo, serve) and `make test` (lint + every test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The slowest tests are printed at the end of each pass: the budget is 15 minutes for both.
PYTEST_ARGS ?= --durations=15
# The SQLite pass runs on both cores (every test copies its own database file); the PostgreSQL
# pass shares one database, so it runs one test at a time.
TEST_WORKERS ?= 2

.PHONY: run test lint format test-sqlite test-postgres bench bench-room bench-uploads bench-print bench-seal bench-sms vendor clean

$(VENV)/.runtime: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev,gevent]'
	touch $@

run: $(VENV)/.runtime
	$(BIN)/ecabinet db upgrade
	HOST=$(HOST) PORT=$(PORT) $(BIN)/ecabinet demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	$(BIN)/ecabinet serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The whole suite on the embedded default (SQLite), then again on PostgreSQL when
# TEST_DATABASE_URL is set (.ci/run sets it after starting a local cluster).
test: lint test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL pass skipped (.ci/run runs it)"; fi

test-sqlite: $(VENV)/.dev
	env -u TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS) -n $(TEST_WORKERS)

# Everything that reaches the database runs on PostgreSQL too. Left out here, because they test
# what does not depend on the database and run once already: the browser tests (their server
# paths are the HTTP and system tests'), PDF parsing bounds, the LibreOffice conversion and
# the upload transport; and the SMS relay's kill -9 runs (40 process starts: its claims on
# PostgreSQL are those of every job, which test_worker_crash kills on both databases). Also
# once: the upload crash tests (kill -9 at every step of an upload: their subject is the
# storage's file intents; a PostgreSQL client killed mid-transaction is test_worker_crash's,
# on both databases), the page images (rendering and sealed files; their jobs are the
# spine's) and the ES5 check of our JavaScript. This keeps `make test` under 15 minutes on
# 2 cores (953 s on a clean clone before these were moved; see the closing notes).
PG_ONCE := tests/browser tests/unit/test_pdf_bounds.py tests/unit/test_office_documents.py \
	tests/system/test_upload_transport.py tests/system/test_sms_crash.py \
	tests/system/test_crash.py tests/http/test_page_images.py tests/unit/test_es5.py

test-postgres: $(VENV)/.dev
	@test -n "$$TEST_DATABASE_URL" || (echo "set TEST_DATABASE_URL=postgresql://..." && exit 2)
	$(BIN)/pytest $(PYTEST_ARGS) $(foreach t,$(PG_ONCE),--ignore=$(t))

# Fan-out to N tablets, then join and control cost beside a bare Flask-SocketIO server
# (CHECKOUTS="/path/to/before /path/to/after" sets checkouts side by side).
bench: $(VENV)/.dev
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/join_control.py --repeat 5 --rounds 30 $(foreach c,$(CHECKOUTS),--checkout $(c))

# The live room's target (issue 11): chair click → last of 1,000 tablets, beside the bare server.
bench-room: $(VENV)/.dev
	$(BIN)/python bench/join_control.py --clients 100 --repeat 3 --rounds 30
	$(BIN)/python bench/join_control.py --clients 1000 --repeat 3 --rounds 30

# How long an upload (benign or crafted PDF) can stall the hub; CHECKOUTS=dir1 dir2 compares.
bench-uploads: $(VENV)/.dev
	$(BIN)/python bench/upload_stall.py $(foreach c,$(CHECKOUTS),--checkout $(c))

# 500 pickup cards as one PDF, beside the naive way, and the whole printout job.
bench-print: $(VENV)/.dev
	$(BIN)/python bench/printables.py

# Files sealed at rest against the same file plain: storing, reading through, Range reads.
bench-seal: $(VENV)/.dev
	$(BIN)/python bench/sealing.py

# SMS: queue 10,000 invitations, relay throughput beside bare HTTP, a provider outage.
bench-sms: $(VENV)/.dev
	$(BIN)/python bench/sms.py

vendor:
	scripts/vendor-js.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
