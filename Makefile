# Two commands do everything on a fresh machine, set-up included:
#   make run    train PSE* on Fashion-MNIST with word-vector labels, evaluate, export
#   make test   the test suite
#   make reproduce  the paper's Tables 1-3 (hours; resumable)
#   make demo   the demo page for a run (RUN=dir or export; default the newest run), on 127.0.0.1
# Both are idempotent: the venv is rebuilt only when setup.cfg/pyproject.toml change, and the
# data fetch is a checksum check when the cache is already good.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup data run test test-fast reproduce clean demo browser

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

data: setup
	$(PY) -m pse_tf.data fetch

run: data
	$(PY) scripts/train.py --label-encoding word2vec

# Two workers, one test file each at a time: XLA compilation and most test code are
# single-threaded, so this nearly halves the suite's wall time on a 2-core machine. Files go out
# in conftest.py's order (slow files first), not xdist's default order by number of tests. The
# 40 slowest tests are listed at the end, so any run of the suite says where its time goes.
test: data browser
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=40

# Headless Chromium + chromedriver for the demo page's browser test; installed as root when
# missing. Without them (not root, no apt), that one test skips and says why.
browser:
	@command -v chromedriver >/dev/null && (command -v chromium || command -v chromium-browser) >/dev/null \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } \
	  || echo "chromium/chromedriver not installed (needs root and apt-get): the browser test will skip"

# Tables 1-3 at the converged budget (hours on 2 cores); resumable: run it again after a stop.
reproduce: data
	$(PY) scripts/reproduce.py

demo: setup
	$(PY) scripts/demo.py $(RUN)

test-fast: data
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m "not slow"

clean:
	rm -rf $(VENV) runs .pytest_cache
