# The two commands: `make run` serves the blog, `make test` runs lint, type checks and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint typecheck cov bench clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

# A secret key generated once and kept in the instance folder, used when SECRET_KEY is unset.
instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c 'import secrets; print(secrets.token_hex(32))' > $@
	chmod 600 $@

# `make run SITE_LANGUAGE=id`: the seed and the server both see it (empty means the default, English).
export SITE_LANGUAGE

# The queue sender runs beside the server (every minute) and stops with it, however the server stops.
# Its mails link to SITE_URL, else to this server (MAIL_FALLBACK_URL).
run: $(VENV)/.run-installed instance/secret_key
	$(BIN)/flask --app blog db upgrade
	$(BIN)/flask --app blog search reindex --if-stale
	$(BIN)/flask --app blog seed-demo --if-empty
	MAIL_FALLBACK_URL="$${MAIL_FALLBACK_URL:-http://$(HOST):$(PORT)}" $(BIN)/flask --app blog mail send-queued --every 60 & \
	sender=$$!; \
	trap 'kill $$sender 2>/dev/null; wait $$sender 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app blog run --host $(HOST) --port $(PORT)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check blog tests deploy wsgi.py
	$(BIN)/ruff format --check blog tests deploy wsgi.py

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

# Branch coverage of blog/ over the whole suite; htmlcov/index.html has the line-by-line report.
cov: $(VENV)/.test-installed
	$(BIN)/python -m pytest --cov=blog --cov-branch --cov-report=term-missing:skip-covered --cov-report=html $(PYTEST_ARGS)

# Lint and type checks first: the suite only runs on code that passes both.
test: lint typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Load against a render floor and the scale table at 100 and 100,000 posts (bench/run.py; not part of
# `make test`). Data sets are built once under instance/bench; BENCH_ARGS="--fresh" rebuilds them.
bench: $(VENV)/.test-installed
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk (https://github.com/wg/wrk)"; exit 2; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Translations (README "Translations"): extract every wrapped string into blog/translations/messages.pot,
# merge it into each language's messages.po (a new string arrives empty, never guessed from a similar one),
# and compile the .mo files, which are committed: a server needs no build step. Then translate the empty
# msgstr entries in each .po and run it again. tests/test_i18n.py fails until every entry is translated.
TRANSLATIONS := blog/translations
translations: $(VENV)/.run-installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k plural_message:1,2 --no-location \
		--ignore-dirs=".* __pycache__" \
		--project="Field Notes" --copyright-holder="Field Notes" -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)
	@$(BIN)/python -m blog.i18n $(TRANSLATIONS)

clean:
	rm -rf $(VENV) .pytest_cache
