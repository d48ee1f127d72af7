# Newsroom: `make demo` to try it, `make test` to run the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1:8000

.PHONY: demo test lint bench bench-scale assets install install-dev migrate serve worker beat clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

# The demo runs like production on one machine without Redis: the web server and one Celery
# worker with beat (scheduled publishing, snapshots, e-mail) share an embedded broker (kombu's
# filesystem transport under var/celery) and a file cache (var/cache). Ctrl-C stops both.
DEMO_ENV := CELERY_BROKER_URL=filesystem:// DJANGO_CACHE_DIR=$(CURDIR)/var/cache

demo: migrate
	mkdir -p var/celery var/celery-control var/cache
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@echo "Worker and scheduler log: var/worker.log"
	$(DEMO_ENV) $(BIN)/celery -A newsroom worker -B --pool=solo --loglevel=info \
	    -s var/celerybeat-schedule > var/worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(DEMO_ENV) $(PY) manage.py runserver $(HOST)

test: install-dev
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/bandit -r newsroom stories sources audit -ll -q

# The admin editor's bundle (assets/ -> stories/static/stories/editor/, committed): needs node
# and npm; demo and test use the committed files and need neither.
assets:
	npm ci --ignore-scripts --no-audit --no-fund
	node assets/build.mjs

bench: install-dev
	$(PY) bench/run.py

# The archive benchmark: builds nr_scale_1k and nr_scale_100k, measures both, writes
# bench/results-scale.md (SCALE_REUSE=1 measures again without rebuilding).
bench-scale: install-dev
	$(PY) bench/scale.py

worker: install
	$(BIN)/celery -A newsroom worker --loglevel=info

beat: install
	$(BIN)/celery -A newsroom beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .ruff_cache
