# One command to set up and start the app, one to set up and run the tests (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test test-fast lint bench

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(PY) -m streamlit run app.py --server.port 8501

# The browser test needs Debian's chromium; install it when we can (root), else that test skips.
test: setup
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || true; }
	$(PY) -m pytest

# While you work: everything but the slow tests (real models, servers, UMAP) and the browser.
test-fast: setup
	$(PY) -m pytest -m "not slow and not e2e"

lint: setup
	$(PY) -m ruff check synth ui pages app.py tests benchmarks
	$(PY) -m mypy synth

bench: setup
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done
