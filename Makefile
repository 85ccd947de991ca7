# The two commands of the README:  make lab  (open the course)  and  make test.
# Both build the virtual environment first when it is missing or out of date.

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8888

.PHONY: lab test install check notebooks bench lock clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Open the course in JupyterLab on 127.0.0.1 with token authentication; the
# URL with its token is printed below.
lab: $(STAMP)
	$(PY) -m course_utils.lab --port $(PORT)

# The environment check that `make lab` runs first.
check: $(STAMP)
	$(PY) -m course_utils.check

# Every test: unit tests, then every notebook re-executed by nbval (strict).
test: $(STAMP)
	$(PY) -m pytest

# Deliberately re-execute every notebook and store its outputs (the nbval
# reference). Run it after changing a notebook or course_utils, then review
# the diff.
notebooks: $(STAMP)
	$(PY) -m course_utils.refresh notebooks

bench: $(STAMP)
	for script in benchmarks/*.py; do $(PY) $$script || exit 1; done

# Rewrite requirements.lock from the current environment.
lock: $(STAMP)
	( sed -n '1,2p' requirements.lock; \
	  $(PY) -m pip freeze --exclude-editable | grep -v '^-e' | sed 's/+cpu//'; \
	  echo "setuptools==$$($(PY) -c 'import setuptools; print(setuptools.__version__)')" \
	) | awk 'NR<=2 {print; next} {print | "sort -f"}' > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info
