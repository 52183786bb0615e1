# Every target that needs Python runs inside .venv, which `make install` creates.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint soak ask chat bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests
	$(BIN)/mypy bot

test: lint
	$(BIN)/pytest

# The attack harnesses (tests marked soak) with many more cases; see "Soak" in README.md.
soak: $(STAMP)
	SOAK=1 $(BIN)/pytest -m soak --durations=0

ask: $(STAMP)
	$(BIN)/python -m bot ask

chat: $(STAMP)
	$(BIN)/python -m bot chat

bench: $(STAMP)
	$(BIN)/python -m bot bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
