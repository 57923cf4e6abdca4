# Two commands: `make run` starts the emulator with the shipped tenants, `make test` runs the suite.
# `make run` installs what the server needs (requirements.txt and the package, editable);
# `make test` adds the development set. `make run FRESH=1` starts from an empty database.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

$(BIN)/.installed-run: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -e .
	touch $@

$(BIN)/.installed: $(BIN)/.installed-run requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

run: $(BIN)/.installed-run
	$(BIN)/scim-emulator serve $(if $(filter 1 yes true,$(FRESH)),--fresh)

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

.PHONY: install run test
