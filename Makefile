# Leadloop: `make run` starts the demo, `make test` runs the suite. Both install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: install run test bench lint format migrate worker browsers clean

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput -v0

run: migrate
	$(PY) manage.py seed_demo
	@bash scripts/run.sh $(PORT)

worker: install
	$(BIN)/celery -A config worker -B --loglevel=INFO --concurrency=2

test: install
	$(BIN)/pytest

bench: install
	$(PY) -m bench.backtest
	$(PY) -m bench.reasons
	$(PY) -m bench.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var .pytest_cache .ruff_cache
