# Duban: `make run` starts the service on SQLite with the console channel; `make test` runs every test.
# Python 3.11, 3.12 or 3.13: the newest on PATH that runs (a pyenv shim of a version not selected
# does not), else python3 for the check below to name; PY=/path/to/python chooses one.
PYTHONS := python3.13 python3.12 python3.11
PY ?= $(or $(shell for p in $(PYTHONS); do $$p -c 'import sys' 2>/dev/null && command -v $$p && break; done),python3)
VENV := .venv
BIN := $(VENV)/bin
# Two installs: what running needs (`make run`), and the test tools on top (`make test`: pytest,
# Playwright, ruff, ...). Each stamp is renewed when pyproject.toml or constraints.txt change.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
PYTHON_CHECK := import sys; v = sys.version_info[:2]; sys.exit(None if (3, 11) <= v <= (3, 13) else \
	"Duban needs Python 3.11, 3.12 or 3.13, found %d.%d: install one, or name it with make PY=/path/to/python3.13" % v)
export TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install install-test system run test bench lint i18n clean

install: $(RUN_STAMP)
install-test: $(TEST_STAMP)

$(BIN)/python:
	@$(PY) -c '$(PYTHON_CHECK)'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

run: install
	$(BIN)/duban db upgrade
	$(BIN)/duban plan load plans/example.yaml
	$(BIN)/duban run

# Debian packages the tests use: chromium (driven by Playwright, no browser download from the net),
# CJK fonts (so the board's screenshot shows Chinese, not boxes) and libical's GObject binding
# (the feed tests expand every feed with libical too, run by the system python3), and LibreOffice
# without its GUI, which turns .doc/.wps/.rtf/.odt into .docx and .et/.xls into .xlsx for the notice readers.
DEBS := chromium fonts-noto-cjk gir1.2-ical-3.0 python3-gi libreoffice-writer-nogui libreoffice-calc-nogui
system:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $$missing; fi

test: install-test system
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

bench: install-test
	$(BIN)/python -m bench

lint: install-test
	$(BIN)/ruff check .

# Re-extract the words people read (babel.cfg) into locales/{zh,en}: then translate the new
# msgids; tests/test_i18n.py fails while one is empty or the sources and catalogues differ.
# The .po files are compiled in memory at run time (scheduler/i18n.py): no .mo to build or keep.
i18n: install
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords -k _ -k gettext -k ngettext:1,2 -k N_ -k Text \
		--omit-header --no-location -o var/duban.pot .
	$(BIN)/pybabel update -i var/duban.pot -d locales -D duban --no-fuzzy-matching --ignore-pot-creation-date

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
