# fiscaldesk — the two commands: `make run` (the whole system) and `make test` (every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install infra stop status lint format bench clean

## run: install what is missing, start Kafka, FerretDB, every service and demo data; Ctrl-C stops all
run: install
	$(PY) -m infra.launcher run

## test: the same installation, infrastructure on its own ports and a throw-away folder, then pytest
test: install
	@mkdir -p reports
	$(PY) -m pytest --junitxml=reports/junit.xml $(PYTEST_ARGS)

install: $(STAMP)
	infra/stack.sh install

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

## infra / stop / status: only Kafka and FerretDB of the dev stack (.data/dev)
infra: install
	infra/stack.sh start
stop:
	infra/stack.sh stop
status:
	infra/stack.sh status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: throughput and latency of the walking skeleton against a raw pymongo + aiokafka baseline
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

clean: stop
	rm -rf .data reports
