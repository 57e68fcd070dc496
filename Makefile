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

.PHONY: demo test bench install install-dev clean lint chromium

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c constraints.txt -e '.[web]'
	touch $@

$(DEV_STAMP): $(STAMP)
	$(PIP) install -c constraints.txt -e '.[dev,web]'
	touch $@

install: $(STAMP)
install-dev: $(DEV_STAMP)

demo: $(STAMP)
	$(VENV)/bin/hydrawatch demo

# The console's browser tests drive Debian's chromium (playwright cannot download a browser here).
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium) || echo "chromium could not be installed: browser tests will be skipped"

test: $(DEV_STAMP) chromium
	$(PY) -m pytest -q

bench: $(DEV_STAMP)
	$(PIP) install -r benchmarks/requirements.txt
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo-world hydrawatch.duckdb hydrawatch.duckdb.wal .pytest_cache .hypothesis test-artifacts
