# Tidings: `make run` starts the service on the embedded default; `make test` runs the checks.
PY := .venv/bin/python
RUN_ADDR ?= 127.0.0.1:8000
export TIDINGS_DEV ?= 1

.PHONY: run test lint fmt bench check-deploy clean

.venv/.installed: pyproject.toml
	@echo "==> Creating .venv and installing Tidings with its dev tools"
	@test -x $(PY) || python3 -m venv .venv
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e ".[dev]"
	@touch $@

# Translations and static files are rebuilt only when their inputs changed (prepare_run);
# run_all prints how long this took until the site answered.
run: .venv/.installed
	@TIDINGS_RUN_STARTED=$$(date +%s.%N) && export TIDINGS_RUN_STARTED && \
	  $(PY) manage.py prepare_run && $(PY) manage.py run_all --addr $(RUN_ADDR)

lint: .venv/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: .venv/.installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

test: .venv/.installed
	$(PY) -m ruff check .
	.venv/bin/lint-imports
	@# Quiet when the database does not exist yet: the check compares models and migration files.
	$(PY) -W "ignore:Got an error checking a consistent migration history:RuntimeWarning" \
	  manage.py makemigrations --check --dry-run
	$(PY) manage.py compile_translations
	$(PY) -m pytest $(PYTEST_ARGS)

bench: .venv/.installed
	$(PY) -m bench

clean:
	rm -rf var .venv
