# Every target that needs Python runs inside .venv, which `make install` creates.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install chromium test lint soak ask chat bench clean

install: $(STAMP) chromium

# The console's browser test drives Debian's chromium (never a browser download): installed
# from the distribution's packages when it is missing; sudo only when not root.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests
	$(BIN)/mypy bot

# Each run has a temporary folder of its own: two runs side by side never prune or reuse each
# other's (pytest's shared /tmp/pytest-of-<user> keeps only the last few runs' folders).
test: lint chromium
	@tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/crisis-help-bot-tests.XXXXXX"); \
		$(BIN)/pytest --basetemp="$$tmp"; status=$$?; rm -rf "$$tmp"; exit $$status

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
