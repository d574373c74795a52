# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BENCH_INSTALLED := $(VENV)/.installed-bench
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint bench serve two-nodes load clean

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Starting the web server on http://$(HOST):$(PORT) and a background worker. Ctrl-C stops both."
	@$(BIN)/python manage.py run_dev $(HOST):$(PORT)

# The suite runs in parallel processes (pytest-xdist), one per core ("auto"), each test file
# whole on one process so that its module-wide fixtures are built once; the files with a test
# marked `long` start first (tests/conftest.py), so no process is left running one alone at the
# end. TEST_WORKERS=0 runs everything in this process. At most 8 processes: each has a Redis
# database for its cache (0-7) and one for the cluster test's broker (8-15), of Redis's 16.
TEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses 8 --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Timings live here, never in tests: every budget of issue 12 at 500, 5,000 and 50,000 generated
# peers (and on PostgreSQL too when DATABASE_URL points to it), a table with "met" or "NOT met",
# bench/results.json, and the growth chart. BENCH_ARGS="--quick" for 500 and 5,000 only; see
# `python -m bench --help`.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.chart

# The production profile of one node: gunicorn (gunicorn.conf.py) and a django-q2 cluster,
# configured by environment variables (docs/deploy.md). Run `manage.py migrate` once per release
# first; DEBUG=false needs SECRET_KEY and ALLOWED_HOSTS.
serve: install
	$(BIN)/python manage.py serve_production

# Two production nodes and two clusters on one PostgreSQL (its own database): the same data on
# both, and 200 tasks split between the clusters with none run twice. Takes a few minutes.
two-nodes: install
	$(BIN)/python -m bench.two_nodes

# 50 people on three journeys for 60 s against gunicorn (4 workers), PostgreSQL and Redis at
# 5,000 peers; writes "load_test" in bench/results.json and fails on any error.
load: install $(BENCH_INSTALLED)
	$(BIN)/python -m bench.load

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install: $(INSTALLED)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Peer Pathways needs Python 3.11 or newer; set PYTHON=python3.11 (or newer).")'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependencies change.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

# The load test's own tool (the `bench` extra: locust), only for `make load`.
$(BENCH_INSTALLED): pyproject.toml | $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
