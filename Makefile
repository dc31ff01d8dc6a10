# Two commands: `make run` serves the panel, `make test` runs the tests. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
DEMO_DB ?= sqlite:///$(CURDIR)/instance/demo.sqlite

.PHONY: install run test demo bench clean

install: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Нужен Python 3.11 или новее")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

run: install
	$(PY) -m flask --app app serve

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

demo: install
	DATABASE_URL=$(DEMO_DB) $(PY) -m flask --app app seed-demo
	DATABASE_URL=$(DEMO_DB) $(PY) -m flask --app app serve

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
