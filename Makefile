# The README's two commands: `make lab` (the main job) and `make test` (the whole check).
PYTHON ?= python3
PORT ?= 8888
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True,)

.PHONY: install lab test lint typecheck test-js test-py bench

install:
	bash scripts/install.sh

# Installs everything, then opens JupyterLab on the quickstart against the local Nur server.
lab: install
	$(PYTHON) -m jupyter lab notebooks/01-quickstart.ipynb --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) $(ALLOW_ROOT)

lint:
	$(PYTHON) -m ruff check nur_notebook tests bench
	$(PYTHON) -m ruff format --check nur_notebook tests bench

typecheck:
	$(PYTHON) -m mypy

test-js:
	npm test

# Two workers share one engines server (tests/shared_engines.py): the waits of one (real-time
# audio, browser start-up) overlap the other's engine work.
PYTEST_WORKERS ?= 2

test-py:
	$(PYTHON) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

test: install lint typecheck test-js test-py

bench:
	$(PYTHON) bench/rest.py
