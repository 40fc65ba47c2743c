# Tidings: `make run` starts the service on the embedded default; `make test` runs the checks.
PY := .venv/bin/python
export TIDINGS_DEV ?= 1

.PHONY: run test lint fmt bench check-deploy clean

.venv/.installed: pyproject.toml
	@echo "==> Creating .venv and installing Tidings with its dev tools"
	@test -x $(PY) || python3 -m venv .venv
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e ".[dev]"
	@touch $@

run: .venv/.installed
	@$(PY) manage.py compile_translations
	@echo "==> Collecting static files"
	@$(PY) manage.py collectstatic --no-input -v0
	@echo "==> Migrating the database"
	@$(PY) manage.py migrate --no-input -v0
	@echo "==> Loading the directory of recommended sources"
	@$(PY) manage.py load_directory
	@echo "==> Checking the admin account"
	@$(PY) manage.py ensure_admin
	@$(PY) manage.py run_all

lint: .venv/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: .venv/.installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

test: .venv/.installed
	$(PY) -m ruff check .
	.venv/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py compile_translations
	$(PY) -m pytest $(PYTEST_ARGS)

bench: .venv/.installed
	$(PY) -m bench

clean:
	rm -rf var .venv
