# Two commands do everything: `make book` builds the site, `make test` runs every test.
# Both create .venv from the exact pins in requirements.txt on first use and reuse it afterwards.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX_STAMP := _vendor/mathjax-static/mathjax/.version-3.2.2
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
PYTEST := $(PY) -m pytest -p no:cacheprovider

.PHONY: book test test-unit test-notebooks test-site test-jupyterlab test-portable notebooks clean setup

setup: $(STAMP) $(MATHJAX_STAMP) $(LAB_SETTINGS)

$(STAMP): requirements.txt pyproject.toml
	@echo "Setting up $(VENV) with $(PYTHON) (first run takes a few minutes)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

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
test: setup
	$(PYTEST)

test-unit: setup
	$(PYTEST) tests --ignore=tests/test_site.py --ignore=tests/test_jupyterlab.py

test-notebooks: setup
	$(PYTEST) book

test-site: setup
	$(PYTEST) tests/test_site.py

# One chapter of each part opened and run in JupyterLab, in headless Chromium.
test-jupyterlab: setup
	$(PYTEST) tests/test_jupyterlab.py

# The notebooks as other CPUs would run them: nbval again with older numeric kernels forced
# (AVX2, then SSE4.2), each checked to take effect first. See CONTRIBUTING.md.
test-portable: setup
	$(PY) scripts/portability.py test avx2 sse4

# Re-execute every chapter in a fresh kernel and store its outputs (for authors).
notebooks: setup
	$(PY) scripts/execute_notebooks.py $(NB)

clean:
	rm -rf _build .jupyter_cache
