# Two commands do everything on a fresh machine, set-up included:
#   make run    train PSE* on Fashion-MNIST with word-vector labels, evaluate, export
#   make test   the test suite
# Both are idempotent: the venv is rebuilt only when setup.cfg/pyproject.toml change, and the
# data fetch is a checksum check when the cache is already good.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup data run test test-fast benchmark clean

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

test: data
	$(PY) -m pytest -q

test-fast: data
	$(PY) -m pytest -q -m "not slow"

clean:
	rm -rf $(VENV) runs .pytest_cache
