# Two entry points for a fresh Debian machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
BOT_STAMP := $(VENV)/.installed-bot
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: setup run test lint typecheck unit train evaluate bench clean

# The bot alone (`pip install -e .`, ~150 MB): what `make run` needs.
$(BOT_STAMP): pyproject.toml scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# Everything: the bot, the `train` extra (TensorFlow, music21, matplotlib) and the dev tools.
$(DEV_STAMP): $(BOT_STAMP)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

setup: $(DEV_STAMP)

# The bot on Discord when DISCORD_TOKEN is set (environment or .env), else the local console.
run: $(BOT_STAMP)
	$(PY) -m bot

test: lint typecheck unit

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: setup
	$(PY) -m mypy

unit: setup
	$(PY) -m pytest

train: setup
	$(PY) -m model.train

evaluate: setup
	$(PY) -m model.evaluate

bench: setup
	$(PY) -m bench.compose
	$(PY) -m bench.render
	$(PY) -m bench.store
	$(PY) -m bench.tunes
	$(PY) -m bench.bot

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out
