# One command to run the shop, one to test it. Both set everything up on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

export FLASK_APP := app
# Where `make test` looks for PostgreSQL when TEST_DATABASE_URL is not set.
LOCAL_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/shop_test
# Test processes (pytest-xdist): one per CPU. Each test file runs whole in one process, so the
# tests of a file that empties a Redis database of its own never overlap; TEST_WORKERS=0 runs
# everything in one process.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

.PHONY: run test lint format db-upgrade seed venv clean-db css lighthouse bench-scale bench-floor

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: venv db-upgrade
	$(BIN)/flask seed --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# With TEST_DATABASE_URL: the whole suite on that database. Without: the whole suite on SQLite,
# then the PostgreSQL-only tests on LOCAL_TEST_DATABASE_URL if it answers (skipped, saying why,
# if not).
test: venv lint
ifdef TEST_DATABASE_URL
	$(PYTEST)
else
	$(PYTEST)
	$(BIN)/python tests/run_postgres_tests.py "$(LOCAL_TEST_DATABASE_URL)"
endif

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

db-upgrade: venv
	$(BIN)/flask db upgrade

seed: venv db-upgrade
	$(BIN)/flask seed

clean-db:
	rm -f instance/shop.sqlite3

# static/css/site.css (committed, so `make run` needs no Node): the Bootstrap rules that
# templates/, static/js/ and shop/ mention, then static/css/shop.css. Rebuild after changing
# either stylesheet, or when a template starts using a Bootstrap class it did not use before.
css: venv tools/purgecss/node_modules
	node tools/purgecss/build.mjs "$$($(BIN)/python -c 'import flask_bootstrap, pathlib; print(pathlib.Path(flask_bootstrap.__file__).parent / "static/bootstrap5/css/bootstrap.min.css")')"

tools/purgecss/node_modules: tools/purgecss/package-lock.json
	npm ci --prefix tools/purgecss
	touch $@

# Lighthouse (mobile, simulated throttling) on four key pages, served by gunicorn in production
# mode on PORT; prints the scores and whether the targets are met. Needs Chromium.
lighthouse: venv db-upgrade tools/lighthouse/node_modules
	$(BIN)/flask seed --if-empty
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python bench/lighthouse.py --serve $(PORT)

tools/lighthouse/node_modules: tools/lighthouse/package-lock.json
	npm ci --prefix tools/lighthouse
	touch $@

# Benchmarks (figures, not tests): each prints its table and whether its targets are met.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--database-url postgresql://...".
bench-scale: venv
	$(BIN)/python bench/scale.py $(BENCH_ARGS)

bench-floor: venv
	$(BIN)/python bench/floor.py $(BENCH_ARGS)
