# Two commands set up everything on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
LAVA_VENV := .venv-lava
SINABS_VENV := .venv-sinabs
# optional: the benchmark peers (NEST, brian2), needed by `make bench` only, never by env / demo / test
BENCH_VENV := .venv-bench
PY := $(VENV)/bin/python
PIP_QUIET := --quiet --disable-pip-version-check
# The engine interpreters snn-deploy drives as subprocesses (a user's own setting wins).
ENGINE_ENV := SNN_DEPLOY_LAVA_PYTHON=$${SNN_DEPLOY_LAVA_PYTHON:-$(abspath $(LAVA_VENV))/bin/python} \
	SNN_DEPLOY_SINABS_PYTHON=$${SNN_DEPLOY_SINABS_PYTHON:-$(abspath $(SINABS_VENV))/bin/python}

.PHONY: env bench-env demo test bench clean

env: $(VENV)/.installed $(LAVA_VENV)/.installed $(SINABS_VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) -c requirements/constraints.txt -e '.[dev]'
	touch $@

$(LAVA_VENV)/.installed: requirements/lava.txt scripts/find-python310
	py310=$$(scripts/find-python310) && { test -x $(LAVA_VENV)/bin/python || "$$py310" -m venv $(LAVA_VENV); }
	$(LAVA_VENV)/bin/python -m pip install $(PIP_QUIET) -r requirements/lava.txt
	touch $@

$(SINABS_VENV)/.installed: requirements/sinabs.txt requirements/constraints.txt
	test -x $(SINABS_VENV)/bin/python || $(PYTHON) -m venv $(SINABS_VENV)
	$(SINABS_VENV)/bin/python -m pip install $(PIP_QUIET) -c requirements/constraints.txt -r requirements/sinabs.txt
	touch $@

bench-env: $(BENCH_VENV)/.installed

$(BENCH_VENV)/.installed: requirements/bench.txt benchmarks/find-python313
	py313=$$(benchmarks/find-python313) && { test -x $(BENCH_VENV)/bin/python || "$$py313" -m venv $(BENCH_VENV); }
	$(BENCH_VENV)/bin/python -m pip install $(PIP_QUIET) -r requirements/bench.txt
	touch $@

demo: env
	$(ENGINE_ENV) $(PY) -m snn_deploy.demo

test: env
	$(ENGINE_ENV) $(PY) -m pytest -q -n 2 --dist loadgroup

bench: env bench-env
	$(ENGINE_ENV) SNN_DEPLOY_BENCH_PYTHON=$${SNN_DEPLOY_BENCH_PYTHON:-$(abspath $(BENCH_VENV))/bin/python} \
		$(PY) benchmarks/run_all.py --quick

clean:
	rm -rf $(VENV) $(LAVA_VENV) $(SINABS_VENV) $(BENCH_VENV) build *.egg-info .pytest_cache
