# fiscaldesk — the two commands: `make run` (the whole system) and `make test` (every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

WEB_STAMP := web/dist/.built
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.js web/package-lock.json

.PHONY: run test install web browser infra stop status lint format bench bench-million bench-burst clean

## run: install what is missing, start Kafka, PostgreSQL, every service, demo data and the web UI; Ctrl-C stops all
run: install web
	$(PY) -m infra.launcher run

## test: the same installation, infrastructure on its own ports and a throw-away folder, then pytest
##       (browser journeys in headless Chromium included)
test: install web browser
	@mkdir -p reports
	$(PY) -m pytest --junitxml=reports/junit.xml $(PYTEST_ARGS)

install: $(STAMP)
	infra/stack.sh install

## web: build the web UI once (and again when its sources change) into web/dist, served by the portal
web: $(WEB_STAMP)
$(WEB_STAMP): $(WEB_SOURCES)
	cd web && npm ci --no-audit --no-fund && npm run build
	touch $(WEB_STAMP)

## browser: Debian's Chromium for the browser tests (Playwright drives it; no browser download)
browser:
	@{ command -v chromium && fc-list :lang=zh | grep -q . ; } >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; }

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

## infra / stop / status: only Kafka and PostgreSQL of the dev stack (.data/dev)
infra: install
	$(PY) -m infra.launcher infra
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

## bench: throughput and latency of the walking skeleton against a raw asyncpg + aiokafka baseline
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

clean: stop
	rm -rf .data reports web/dist

## bench-million: a million tickets seeded in every service, then the day's reads timed through the gateway
bench-million: install
	$(PY) -m bench.million $(BENCH_ARGS)

## bench-burst: the submission window's first minutes: 100,000 submissions from 5,000 accounts, followed into
##              the county review queues, with every consumer group's lag sampled
bench-burst: install
	$(PY) -m bench.burst $(BENCH_ARGS)
