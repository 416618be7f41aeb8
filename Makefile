# The README's two commands: `make run` and `make test`. Everything they need is set up here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app aiplan
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint typecheck fmt install test-tools translations clean bench scan guide

## run: set up a virtual environment and the database with the bundled plan, then serve on 127.0.0.1:5000
## (waitress, one process with threads, so the in-memory login rate limit holds; it reads each request
## whole before a thread sees it, so slow clients cannot hold the threads: see aiplan/serving.py).
## tests/test_slow_clients.py starts the server with this recipe's last line (`make -n run`).
## --worker: the job worker (`flask --app aiplan worker`, aiplan/jobs) runs beside it as a child process.
run: install
	$(FLASK) setup
	$(FLASK) demo-accounts
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	$(BIN)/python wsgi.py --host $(HOST) --port $(PORT) --worker

## test: set up and run every test (SQLite; set TEST_DATABASE_URL for PostgreSQL)
test: install test-tools
	$(BIN)/pytest

## lint: the habits CI keeps: ruff's lint rules and formatting, and mypy's type check of aiplan/,
## as configured in pyproject.toml
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## typecheck: mypy on aiplan/ alone (pyproject.toml); clean, and kept so in CI by `make lint`
typecheck: install
	$(BIN)/mypy

## fmt: sort imports, apply ruff's safe fixes and format the tree the way `make lint` checks it
fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: benchmark the served app (as `make run` serves it) on SQLite and PostgreSQL (running at 127.0.0.1:5432, as in .ci/run);
## 10–20 minutes; writes bench/results.json and bench/results.md (see docs/benchmarks.md)
bench: install
	$(BIN)/python bench/run.py --database both

## scan: Wapiti and sqlmap against a throw-away copy on 127.0.0.1 only, signed in per role (about 35
## minutes); the scanners in their own venv SCANNERS=/tmp/scanners (see docs/security-checks.md)
scan: install
	$(BIN)/python bench/scan.py --scanners $(or $(SCANNERS),/tmp/scanners)

## guide: the user guide's screenshots (static/guide/*.png), phone 360×740 and desktop 1280×800, taken in
## Chromium by tests/test_guide_journeys.py on the bundled plan and schools; commit them with the change
## that made them. About a minute. tests/test_guide.py fails when a screenshot the guide names is missing.
guide: install
	GUIDE_SHOTS=1 $(BIN)/pytest -q -p no:randomly tests/test_guide_journeys.py

install: $(VENV)/.installed translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## test-tools: axe-core and the Nu Html Checker (vnu.jar) for tests/test_phone_pages.py, pinned in
## package-lock.json; npm ci again whenever the lock file is newer. Without npm the audit skips, except
## in CI (CI set), where it is required. Test-time only: nothing is served
## from node_modules. --ignore-scripts: vnu-jar's install script would download a Java; the tests use
## the `java` on PATH (11 or later).
test-tools: node_modules/.installed

node_modules/.installed: package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  echo "npm ci --ignore-scripts --no-audit --no-fund" && npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	elif [ -n "$$CI" ]; then \
	  echo "npm is needed for the phone audit (tests/test_phone_pages.py): install Node.js 18 or later" >&2; exit 1; \
	else \
	  echo "npm not found: tests/test_phone_pages.py skips its checks (install Node.js 18+, then make test-tools)"; \
	fi

translations: $(VENV)/.installed
	@if [ -d aiplan/translations ]; then $(BIN)/pybabel compile --statistics -d aiplan/translations 2>&1 | grep -v '^$$' || true; fi

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache node_modules
