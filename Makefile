# hydrawatch: two commands on a fresh machine.
#   make demo   create the virtual environment, install, run the demo on the embedded store
#   make test   install what the tests need and run them
#   make bench  benchmarks (not part of make test)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test bench install install-dev clean lint

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c constraints.txt -e .
	touch $@

$(DEV_STAMP): $(STAMP)
	$(PIP) install -c constraints.txt -e '.[dev]'
	touch $@

install: $(STAMP)
install-dev: $(DEV_STAMP)

demo: $(STAMP)
	$(VENV)/bin/hydrawatch demo

test: $(DEV_STAMP)
	$(PY) -m pytest -q

bench: $(DEV_STAMP)
	$(PIP) install -r benchmarks/requirements.txt
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo-world hydrawatch.duckdb hydrawatch.duckdb.wal .pytest_cache .hypothesis
