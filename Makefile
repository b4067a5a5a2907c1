# bgfunds — `make demo` and `make test` work on a fresh machine with only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
DUCKDB1 = .venv-duckdb1

.PHONY: setup demo test unit bench eval dev serve lint docs lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# DuckDB 1.x beside the project's 2.x, only for the tests that open a release with both.
$(DUCKDB1)/.installed: requirements-duckdb1.lock
	$(PYTHON) -m venv $(DUCKDB1)
	$(DUCKDB1)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-duckdb1.lock
	touch $(DUCKDB1)/.installed

setup: $(STAMP) $(DUCKDB1)/.installed

## Run the whole Dagster job in-process on the bundled recorded sample corpus.
demo: setup
	$(BIN)/bgfunds demo

## Run the test suite: unit and integration tests.
test: setup
	$(BIN)/python -m pytest

## Run the unit tests only (seconds; no Dagster run, server, browser, subprocess or sample build).
unit: setup
	$(BIN)/python -m pytest -m unit -q

## Time the offline build at 1 000, 10 000, 80 700 (the real register) and 160 000 synthetic contracts,
## a quiet night and a night with 1 % changed (prints a table; not a test). SCALES=80700,160000 chooses.
bench: setup
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.run --scales $${SCALES:-1000,10000,80700,160000}
	$(BIN)/python -m bench.site_scale --contracts $${SITE_CONTRACTS:-80000}

## Score the free-text extractors on the hand-checked development set (prints a table; not a test).
eval: setup
	$(BIN)/python -m bench.eval_extraction

DATA_DIR    ?= $(or $(BGFUNDS_DATA_DIR),data)
DAGSTER_PORT ?= 3000

## Open the same assets in the Dagster UI (http://127.0.0.1:$(DAGSTER_PORT)), on the data dir's own
## Dagster instance ($(DATA_DIR)/dagster): runs of `bgfunds demo|build|crawl|publish` show there too.
dev: setup
	mkdir -p $(DATA_DIR)/dagster
	test -f $(DATA_DIR)/dagster/dagster.yaml || cp dagster.yaml $(DATA_DIR)/dagster/dagster.yaml
	BGFUNDS_DATA_DIR=$(DATA_DIR) DAGSTER_HOME=$(abspath $(DATA_DIR))/dagster \
	  $(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p $(DAGSTER_PORT)

## Serve the latest release's catalogue page on http://127.0.0.1:8000/.
serve: setup
	$(BIN)/bgfunds serve

## Write the documentation pages generated from the code (docs/settings.md, docs/data-dictionary.md).
docs: setup
	$(BIN)/python -m pipelines.docs_pages

## Lint and format check with the repo's own ruff config (pyproject.toml); .ci/run runs it before the tests.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Regenerate requirements.lock from the pins in pyproject.toml (needs the registry).
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet -e '.[test]'
	.lockvenv/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) $(DUCKDB1) data .dagster .pytest_cache
