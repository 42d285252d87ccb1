# `make run` and `make test`; on a machine without make, ./jazzbot installs it first (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
BOT_STAMP := $(VENV)/.installed-bot
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: install setup run test lint typecheck unit train evaluate bench clean

# The bot alone (`pip install -e .`, ~150 MB): what `make run` needs. A venv without a working pip (say
# `python3 -m venv` ran before python3-venv was installed) is made again. pip runs without -q so a long
# download shows progress.
$(BOT_STAMP): pyproject.toml scripts/install-system-packages.sh
	@sh scripts/install-system-packages.sh
	@$(PY) -m pip --version >/dev/null 2>&1 || { echo "==> Creating $(VENV)"; python3 -m venv --clear $(VENV); }
	@echo "==> Installing the bot's Python packages into $(VENV)"
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e .
	@touch $@

# Everything: the bot, the `train` extra (TensorFlow, music21, matplotlib), the `bench` extra and the dev tools.
$(DEV_STAMP): $(BOT_STAMP)
	@echo "==> Installing TensorFlow, music21, matplotlib and the dev tools into $(VENV)"
	$(PY) -m pip install -e '.[dev]'
	@touch $@

install: $(BOT_STAMP)

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

# pytest beside a real redis-server and PostgreSQL, started and stopped by scripts/with-services.sh.
unit: setup
	sh scripts/with-services.sh $(PY) -m pytest

train: setup
	$(PY) -m model.train

evaluate: setup
	$(PY) -m model.evaluate

bench: setup
	$(PY) -m bench.compose
	$(PY) -m bench.render
	$(PY) -m bench.store
	$(PY) -m bench.tunes
	$(PY) -m bench.privacy
	$(PY) -m bench.bot
	$(PY) -m bench.gateway
	sh scripts/with-services.sh $(PY) -m bench.votes
	$(PY) -m bench.queue

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out
