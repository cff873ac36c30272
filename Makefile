# The two commands: `make run` (the whole system with demo letters) and `make test` (the full suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-vie redis-server fonts-dejavu-core fonts-liberation2 poppler-utils chromium ghostscript
PG_URL := postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: setup system-packages run test test-fast bench lint messages clean

setup: system-packages $(VENV)/.installed

# Installs what is missing with apt-get when run as root; otherwise prints the exact command to run.
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "missing system packages:$$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $@

run: setup
	$(BIN)/donthu run --demo

# PostgreSQL joins the suite when a server answers on 127.0.0.1:5432.
test: setup
	@if $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=test', connect_timeout=3).close()" 2>/dev/null; then \
	  export DONTHU_TEST_DATABASE_URL=$${DONTHU_TEST_DATABASE_URL:-$(PG_URL)}; echo "PostgreSQL tests: on"; \
	else echo "PostgreSQL tests: off (no server on 127.0.0.1:5432)"; fi; \
	$(BIN)/ruff check . && $(BIN)/pytest -ra -n 2 --dist loadgroup --timeout=600 --durations=15

test-fast: setup
	$(BIN)/pytest -ra -m "not slow and not browser" --timeout=300

bench: setup
	$(BIN)/pip install -q ocrmypdf
	$(BIN)/python bench/ocr_throughput.py
	$(BIN)/python bench/search_scale.py

lint: setup
	$(BIN)/ruff check .

# Re-extract the interface strings (the Vietnamese text is the message id) and merge them into each language's
# catalog; then translate the new entries in web/translations/<lang>/LC_MESSAGES/messages.po (tests/test_i18n.py
# fails while one is missing). The app compiles the .po files itself when it starts.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F web/translations/babel.cfg -k lazy_gettext -c TRANSLATORS: --project=donthu \
	  --copyright-holder="Donthu contributors" -w 120 -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching --ignore-obsolete -w 120

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
