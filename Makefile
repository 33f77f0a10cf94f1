# One command to run the shop, one to test it. Both set everything up on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

export FLASK_APP := app

.PHONY: run test lint format db-upgrade seed venv clean-db

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: venv db-upgrade
	$(BIN)/flask seed --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: venv lint
	$(BIN)/python -m pytest

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
