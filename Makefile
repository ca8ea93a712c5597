# Leadloop: `make run` starts the demo, `make test` runs the suite. Both install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
PORT ?= 8000
NODE_STAMP := node_modules/.installed

.PHONY: install install-dev install-test install-bench run test bench lint lint-imports typecheck format migrate worker clean

# One stamp per requirements file: the runtime for `make run`, + tests/lint for `make test`,
# + the benchmark inputs for `make bench`.
install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-bench: $(VENV)/.installed-bench

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

# Test-only front-end tools (axe-core for the accessibility tests), pinned in package-lock.json.
install-test: install-dev $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-dev requirements-bench.txt
	$(PIP) -r requirements-bench.txt
	touch $@

migrate: install
	$(PY) manage.py migrate --noinput -v0

run: migrate
	$(PY) manage.py seed_demo
	@bash scripts/run.sh $(PORT)

worker: install
	mkdir -p var && $(BIN)/celery -A config worker -B --loglevel=INFO --concurrency=2 --schedule var/celerybeat-schedule

test: install-test
	$(BIN)/pytest

bench: install-bench
	$(PY) -m bench.backtest
	$(PY) -m bench.reasons
	$(PY) -m bench.run

lint: lint-imports typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The import layers (config <- leads <- feedback <- learning): contracts in pyproject.toml.
lint-imports: install-dev
	$(BIN)/lint-imports

# Types: mypy with django-stubs over the apps (strict on learning.core); settings in pyproject.toml.
typecheck: install-dev
	$(BIN)/mypy config leads feedback learning

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
