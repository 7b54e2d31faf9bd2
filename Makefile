# oms: `make run` serves the app with demo data; `make test` runs the whole test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check assets messages deps deps-dev migrate demo screenshot bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

deps: $(VENV)/.runtime
deps-dev: $(VENV)/.dev

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.built: node_modules/.package-lock.json scripts/copy_assets.sh
	./scripts/copy_assets.sh
	touch $@

assets: static/vendor/.built

# Compile every gettext catalogue (project-wide locale/ and each app's <app>/locale/) with Babel,
# so no system gettext is needed.
messages: $(VENV)/.runtime
	@for dir in locale */locale; do \
		if [ -d "$$dir" ]; then $(BIN)/pybabel compile --domain=django --directory="$$dir" 2>/dev/null \
			|| { $(BIN)/pybabel compile --domain=django --directory="$$dir"; exit 1; }; fi; \
	done; echo "translations compiled"

migrate: deps messages
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py demo_owner

# HOST / PORT reach every command of the recipe: the settings derive SITE_URL (customer links) from
# them when SITE_URL is not set, so `make run PORT=8123` links to port 8123.
run demo: export HOST := $(HOST)
run demo: export PORT := $(PORT)
run: deps assets messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py demo_owner
	@echo "oms is starting at http://$(HOST):$(PORT)/ (Ctrl-C stops the web server, worker and beat)"
	$(BIN)/honcho --procfile Procfile.dev start

test: deps-dev assets messages
	DJANGO_SETTINGS_MODULE=oms.test_settings $(BIN)/pytest $(PYTEST_ARGS)

lint: deps-dev
	$(BIN)/ruff check .

check: deps-dev
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_ENV=production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
		ALLOWED_HOSTS=oms.example.id EMAIL_HOST=smtp.example.id DATABASE_URL=postgres://oms@db.invalid/oms REDIS_URL=redis://cache.invalid:6379/0 \
		$(PY) manage.py check --deploy --fail-level WARNING

screenshot: deps-dev assets messages demo
	$(PY) scripts/screenshot.py

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles var
