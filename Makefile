# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint bench clean

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Starting the web server on http://$(HOST):$(PORT) and a background worker. Ctrl-C stops both."
	@$(BIN)/python manage.py run_dev $(HOST):$(PORT)

# The suite runs in parallel processes (pytest-xdist), one per core ("auto"), each test file
# whole on one process so that its module-wide fixtures are built once; the files with a test
# marked `long` start first (tests/conftest.py), so no process is left running one alone at the
# end. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Timings live here, never in tests: the readiness page at 500 and 5,000 generated peers, and
# one trainee's mentor shortlist among 50 and 1,000 mentors.
bench: install
	$(BIN)/python manage.py bench_readiness
	$(BIN)/python manage.py bench_shortlist

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
