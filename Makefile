# Two entry points for a fresh machine: `make demo` and `make test`.
# Both build .venv from this project's own files when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/zhongtai demo

lint: $(STAMP)
	$(BIN)/ruff check zhongtai tests bench
	$(BIN)/ruff format --check zhongtai tests bench

format: $(STAMP)
	$(BIN)/ruff format zhongtai tests bench
	$(BIN)/ruff check --fix zhongtai tests bench

test: lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/seed.py

clean:
	rm -rf $(VENV) .zhongtai .pytest_cache
