# The two commands of the README:  make lab  (open the course)  and  make test.
# Both build the virtual environment first when it is missing or out of date.

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8888
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

# torch's CPU build comes from PyTorch's CPU wheel index, in a step of its own
# (tools/torch.in): PyPI's torch for Linux is the CUDA build, several GB; and
# an index named for the whole lock would be asked for every package in it.
TORCH_INDEX := https://download.pytorch.org/whl/cpu
# JupyterLab's defaults for this environment (tools/lab-overrides.json): no
# "get notified about official Jupyter news?" prompt, no update check
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/sparse-matrix-course.json
# The locking tool, in an environment of its own (make lock)
LOCK_VENV  ?= .venv-lock
PIP_TOOLS  := pip-tools==7.6.2
LOCK_ARGS  ?=
# The book (make book): the site, and MathJax fetched once with npm into a
# git-ignored cache; the site serves it, so no page loads anything from the
# internet. BOOK_NOTEBOOKS: another folder of notebooks to build from.
BOOK_NOTEBOOKS  ?= notebooks
MATHJAX_VERSION := 3.2.2
MATHJAX         := _build/mathjax/mathjax/tex-mml-chtml.js
# axe-core, the accessibility checker the browser tests inject into every page
# of the book (tests/browser/test_book.py; WCAG 2.1 A and AA rules), fetched
# the same way into _build/axe
AXE_VERSION     := 4.14.1
AXE             := _build/axe/axe.min.js

.PHONY: lab test install check notebooks bench book axe student lock clean

install: $(STAMP)

$(STAMP): requirements.lock tools/torch.in pyproject.toml tools/lab-overrides.json
	@test -x $(PY) || $(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"Python 3.11 or newer is needed; {sys.executable} is {v[0]}.{v[1]}. Run: make PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --no-deps --index-url $(TORCH_INDEX) -r tools/torch.in
	$(PIP) -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	mkdir -p $(dir $(LAB_OVERRIDES)) && cp tools/lab-overrides.json $(LAB_OVERRIDES)
	touch $(STAMP)

# Open the course in JupyterLab on 127.0.0.1 with token authentication, after
# the environment check; the URL with its token is printed below.
lab: $(STAMP)
	$(PY) -m tools.lab --port $(PORT)

# The environment check that `make lab` runs first.
check: $(STAMP)
	$(PY) -m tools.check

# Every test: unit tests, then every notebook re-executed by nbval (strict).
test: $(STAMP)
	$(PY) -m pytest

# Deliberately re-execute every notebook and store its outputs (the nbval
# reference). Run it after changing a notebook or course_utils, then review
# the diff.
notebooks: $(STAMP)
	$(PY) -m tools.refresh notebooks

bench: $(STAMP)
	for script in benchmarks/*.py; do $(PY) $$script || exit 1; done

# The course as a static site in _build/book/ (open _build/book/index.html):
# the notebooks' stored outputs, no cell executed, warnings are errors; each
# slider is a player of figures its explorer draws at build time, cached in
# _build/frames/ (kept here: a second build reuses them; make clean removes
# them). Every figure becomes an image whose text alternative is the
# description stored after it (an image without one fails the build).
# book/conf.py, book/_ext/course_book.py and course_player.py say how.
book: $(STAMP) $(MATHJAX)
	rm -rf _build/book _build/book_src _build/book_doctrees _build/jupyter_execute
	mkdir -p _build/book_src
	$(PY) -m sphinx -W --keep-going -q -b html -c book -d _build/book_doctrees \
	  -D course_notebooks=$(abspath $(BOOK_NOTEBOOKS)) _build/book_src _build/book
	@echo "The book: _build/book/index.html"

# A copy of the notebooks to hand out, in $(STUDENT_DIR) (git-ignored):
# without the solution cells (tagged solution) and without outputs, nothing
# executed. nbconvert's preprocessors do it: TagRemovePreprocessor (which
# --to notebook leaves disabled unless told), ClearOutputPreprocessor, and
# ClearMetadataPreprocessor for the notebook's saved widget state (it holds
# the sliders' last figures), keeping the kernelspec and language_info.
# tests/test_student.py runs this target and executes the copy.
STUDENT_DIR ?= _build/student
student: $(STAMP)
	rm -f $(STUDENT_DIR)/*.ipynb
	$(PY) -m nbconvert --to notebook --output-dir $(STUDENT_DIR) \
	  --TagRemovePreprocessor.enabled=True --TagRemovePreprocessor.remove_cell_tags=solution \
	  --ClearOutputPreprocessor.enabled=True \
	  --ClearMetadataPreprocessor.enabled=True --ClearMetadataPreprocessor.clear_cell_metadata=False \
	  --ClearMetadataPreprocessor.preserve_nb_metadata_mask=kernelspec \
	  --ClearMetadataPreprocessor.preserve_nb_metadata_mask=language_info \
	  notebooks/*.ipynb
	@echo "The student copy: $(STUDENT_DIR)/"

# MathJax 3 from the npm registry (npm checks the package's integrity): its
# combined TeX/MathML component for HTML output, with the fonts, extensions
# and accessibility parts that it loads from beside it.
$(MATHJAX):
	rm -rf _build/mathjax && mkdir -p _build/mathjax/tmp
	cd _build/mathjax && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && tar -xzf mathjax-$(MATHJAX_VERSION).tgz
	cd _build/mathjax/package/es5 && cp -R tex-mml-chtml.js a11y adaptors input output sre ui ../../tmp/
	mv _build/mathjax/tmp _build/mathjax/mathjax
	rm -rf _build/mathjax/package _build/mathjax/mathjax-$(MATHJAX_VERSION).tgz

# axe-core from the npm registry (npm checks the package's integrity): only
# its minified script, which the browser tests inject into the book's pages.
# The book's test fixture runs `make axe book`.
axe: $(AXE)

$(AXE):
	rm -rf _build/axe && mkdir -p _build/axe/tmp
	cd _build/axe/tmp && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar -xzf axe-core-$(AXE_VERSION).tgz
	cp _build/axe/tmp/package/LICENSE _build/axe/tmp/package/axe.min.js _build/axe/
	rm -rf _build/axe/tmp

# Rewrite requirements.lock with pip-compile from pyproject.toml (extras lab,
# test and book) and tools/torch.in. Existing pins are kept unless pyproject.toml
# needs otherwise; `make lock LOCK_ARGS=--upgrade` moves every pin to the
# newest release. torch's wheel is fetched first from its CPU index alone, so
# that the lock holds the CPU build's dependencies (no NVIDIA libraries).
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check "$(PIP_TOOLS)"; }
	rm -rf $(LOCK_VENV)/torch
	$(LOCK_VENV)/bin/pip download --quiet --disable-pip-version-check --no-deps --index-url $(TORCH_INDEX) -d $(LOCK_VENV)/torch -r tools/torch.in
	$(LOCK_VENV)/bin/pip-compile --quiet --find-links $(LOCK_VENV)/torch --no-emit-find-links --no-emit-index-url \
	  --strip-extras --allow-unsafe --extra lab --extra test --extra book $(LOCK_ARGS) --output-file requirements.lock pyproject.toml tools/torch.in

clean:
	rm -rf $(VENV) $(LOCK_VENV) build _build *.egg-info
