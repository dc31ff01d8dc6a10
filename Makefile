# Two commands: `make run` serves the panel, `make test` runs the tests. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
DEMO_DB ?= sqlite:///$(CURDIR)/instance/demo.sqlite

.PHONY: install install-dev run test lint demo bench bench-prints clean

install: $(STAMP)

install-dev: $(DEV_STAMP)

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Нужен Python 3.11 или новее")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	touch $@

$(STAMP): requirements.txt | $(VENV)/.created
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	rm -f $(VENV)/.installed-[0-9]*
	touch $@

# Test-only packages (pytest, playwright, pypdfium2, ruff…) go in requirements-dev.txt; `make run` never installs them.
$(DEV_STAMP): requirements.txt requirements-dev.txt | $(VENV)/.created
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-dev-*
	touch $@

run: install
	$(PY) -m flask --app app serve

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

demo: install
	DATABASE_URL=$(DEMO_DB) $(PY) -m flask --app app seed-demo
	DATABASE_URL=$(DEMO_DB) $(PY) -m flask --app app serve

# Every part runs even when an earlier one misses a target; the exit code tells whether all were met.
bench: install-dev
	@status=0; \
	$(PY) bench/paint.py || status=1; \
	$(PY) bench/run.py || status=1; \
	$(PY) bench/load.py || status=1; \
	exit $$status

bench-prints: install-dev
	$(PY) bench/prints.py

lint: install-dev
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
