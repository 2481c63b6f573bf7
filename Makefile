# Parcours & Impact — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# Port and address: the usual Streamlit settings (.streamlit/config.toml, STREAMLIT_SERVER_PORT…), or PORT.
# PROCESSUS: how many Streamlit processes serve the port (default: one per core, four at most).
PORT   ?=
PROCESSUS ?=
SERVE_ARGS := $(if $(PORT),--port $(PORT),) $(if $(PROCESSUS),--processus $(PROCESSUS),)
PYTEST_ARGS ?=

.PHONY: run test install install-test bench clean-data lint

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make run: install, create or upgrade the SQLite database, load the demo data if empty, start the app
## in demo mode (the visitor picks a role; refused on a store that holds other data), one Streamlit process
## per core behind one port (`mlimpact serve`, docs/cli.md).
run: install
	$(BIN)/mlimpact demo
	MLIMPACT_DEMO=1 $(BIN)/mlimpact serve $(SERVE_ARGS)

## make test: install the test extras and system parts (Chromium, PostgreSQL), run the whole suite,
## one worker per core (at most 4: each starts its own PostgreSQL, Streamlit and Chromium), a test file per worker.
PYTEST_WORKERS ?= -n auto --maxprocesses 4 --dist loadfile
test: install-test
	bash scripts/system-deps.sh
	$(PY) -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

## make bench: the speed benchmarks (figures go to docs/benchmarks.md by hand).
bench: install-test
	$(PY) bench/run.py

lint: install-test
	$(BIN)/ruff check .

clean-data:
	rm -rf data
