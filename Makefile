# Two commands do everything: `make book` builds the site, `make test` runs every test.
# Both create .venv from the exact pins in requirements.txt on first use and reuse it afterwards.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX_STAMP := _vendor/mathjax-static/mathjax/.version-3.2.2
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
PYTEST := $(PY) -m pytest -p no:cacheprovider

.PHONY: book test test-fast test-unit test-notebooks test-site test-jupyterlab test-portable lint lock notebooks results clean setup

setup: $(STAMP) $(MATHJAX_STAMP) $(LAB_SETTINGS)

$(STAMP): requirements.txt pyproject.toml
	@echo "Setting up $(VENV) with $(PYTHON) (first run takes a few minutes)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# requirements.txt is a lock: every package pinned exactly (nbval compares printed numbers, and
# they move with library versions), generated from the direct requirements that pyproject.toml
# declares (the package and its extras). To upgrade one package: edit its bound in pyproject.toml,
# or delete its line here, then run this and commit both files.
lock: setup
	$(PY) scripts/lock.py
# JupyterLab defaults for the book (jupyterlab-settings/README.md): no news prompt, no update check.
$(LAB_SETTINGS): jupyterlab-settings/overrides.json $(STAMP)
	mkdir -p $(@D)
	cp $< $@

# MathJax 3.2.2 is served by the site itself so math renders offline (see _ext/offline_site.py).
$(MATHJAX_STAMP):
	bash scripts/fetch_mathjax.sh

book: setup
	$(VENV)/bin/jupyter-book build . --keep-going
	@echo "The book is built: open $(CURDIR)/_build/html/index.html in a browser"

# The whole suite in one pytest run: unit tests, every notebook under nbval (strict),
# a strict site build, headless Chromium on the built site and on chapters run in JupyterLab.
test: setup lint
	$(PYTEST)

# The unit tests without the ones that retrain a cached experiment (marked slow): a quick loop.
test-fast: setup
	$(PYTEST) tests --ignore=tests/book/test_site.py --ignore=tests/book/test_jupyterlab.py -m "not slow"

# ruff, configured in pyproject.toml and pinned in the lock.
lint: setup
	$(VENV)/bin/ruff check lstm_tutorial tests scripts conftest.py _ext
	$(VENV)/bin/ruff format --check lstm_tutorial tests scripts conftest.py _ext

test-unit: setup
	$(PYTEST) tests --ignore=tests/book/test_site.py --ignore=tests/book/test_jupyterlab.py

test-notebooks: setup
	$(PYTEST) book

test-site: setup
	$(PYTEST) tests/book/test_site.py

# One chapter of each part opened and run in JupyterLab, in headless Chromium.
test-jupyterlab: setup
	$(PYTEST) tests/book/test_jupyterlab.py

# The notebooks as other CPUs would run them: nbval again with older numeric kernels forced
# (AVX2, then SSE4.2), each checked to take effect first. See CONTRIBUTING.md.
test-portable: setup
	$(PY) scripts/portability.py test avx2 sse4

# Re-execute every chapter in a fresh kernel and store its outputs (for authors).
notebooks: setup
	$(PY) scripts/execute_notebooks.py $(NB)

# Regenerate cached experiment results (for authors): make results R="recall mlm", or all of them.
results: setup
	$(PY) scripts/make_results.py $(R)

clean:
	rm -rf _build .jupyter_cache
