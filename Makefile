# The two set-up commands of the README: `make demo` and `make test`.
# Everything installs into a local virtual environment (.venv); nothing global is touched.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export OMP_NUM_THREADS := 1

.PHONY: demo test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-textworld: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[textworld]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-textworld

demo: $(VENV)/.installed-textworld
	$(PY) -m textagent_envs demo

test: $(VENV)/.installed-dev
	$(PY) -m pytest

bench: $(VENV)/.installed-textworld
	$(PY) benchmarks/bench_textworld.py --out docs/benchmarks.md

clean:
	rm -rf $(VENV) build *.egg-info
