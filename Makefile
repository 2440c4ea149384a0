# The whole set-up is two commands: `make lab` and `make test`.
# Everything else here is for course authors and CI.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# Notebooks run with one BLAS thread by default, so that small matrix products are not slowed
# by threads fighting over a busy machine. Their outputs must not depend on it: `make
# portability` re-runs everything with 2 threads, another BLAS kernel and less SIMD.
ONE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
# The tolerant output check (tools/nbcheck.py): one pytest item per notebook.
NBCHECK := $(PY) -m pytest -p no:cacheprovider -p tools.nbcheck --nbcheck
NB_WORKERS := $(if $(filter 1,$(words $(NOTEBOOKS))),0,2)

.PHONY: help venv lock lab lab-authors test unit lint notebooks-test notebooks portability release book e2e bench clean

help:
	@echo "make lab    - create .venv, install the course, open JupyterLab on your notebooks"
	@echo "make lab-authors - JupyterLab on the instructor notebooks (with solutions)"
	@echo "make test   - create/update .venv if needed and run the whole test suite"
	@echo "make book   - build the HTML book into _build/html (warnings are errors)"
	@echo "make e2e    - real-browser tests of the built book and of JupyterLab"
	@echo "make release - write student versions of the notebooks to _build/release"
	@echo "make notebooks - re-execute every chapter notebook in place (authors)"
	@echo "make portability - tests and notebook outputs under simulated other machines"
	@echo "make lock   - refresh constraints.txt, the pinned versions a new venv installs"
	@echo "make bench  - benchmark mlcourse against PyTorch on one MNIST epoch"

# The venv is rebuilt only when pyproject.toml or constraints.txt changes, so re-running is
# quick. constraints.txt pins every package to the versions the notebooks were executed with.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mlcourse needs Python 3.11 or newer; found " + sys.version.split()[0])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[course,dev]"
	@touch $(STAMP)

venv: $(STAMP)

# Students work in my-notebooks/ (ignored by git): the student versions of the chapters, written
# once and never overwritten, so their answers survive `git pull` and a second `make lab`.
lab: $(STAMP)
	$(PY) tools/release.py --out my-notebooks --keep-existing
	$(VENV)/bin/jupyter lab my-notebooks/

# Course authors edit the instructor notebooks (with solutions) in notebooks/.
lab-authors: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

test: lint unit notebooks-test

unit: $(STAMP)
	$(PY) -m pytest tests

notebooks-test: $(STAMP)
	$(ONE_THREAD) $(NBCHECK) -n $(NB_WORKERS) $(NOTEBOOKS)

# Unit tests and notebook outputs under several simulated machines; `make portability
# NOTEBOOKS=notebooks/05_backprop.ipynb` checks only that notebook (and skips the unit tests).
portability: $(STAMP)
	$(PY) tools/portability.py $(if $(filter command line,$(origin NOTEBOOKS)),--no-unit --notebooks $(NOTEBOOKS))

# Re-resolve the newest versions allowed by pyproject.toml in a scratch venv and pin them.
lock:
	rm -rf _build/lock-venv
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/pip install --quiet --upgrade pip
	_build/lock-venv/bin/pip install --quiet -e ".[course,dev,e2e]"
	{ echo "# Pinned versions for 'make venv' (pip install -c constraints.txt). Refresh: make lock."; \
	  _build/lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e '; } > constraints.txt
	rm -rf _build/lock-venv
	@echo "constraints.txt refreshed: re-run 'make notebooks' and 'make test' before committing"

notebooks: $(STAMP)
	$(ONE_THREAD) $(PY) tools/execute_notebooks.py $(NOTEBOOKS)

# Student versions into _build/release; `make release BRANCH=student` also commits them to the
# local branch the book's launch buttons open (push it to publish).
release: $(STAMP)
	$(PY) tools/release.py --out _build/release $(if $(BRANCH),--branch $(BRANCH))

book: $(STAMP)
	$(PY) tools/build_book.py

# Real-browser tests (tests/e2e, marker e2e) of the built book (`make book` first) and JupyterLab.
e2e: $(STAMP)
	$(PY) -m pytest -p no:cacheprovider -m e2e tests/e2e $(E2E_ARGS)

# ruff (lint and format check) and mypy on the library; configured in pyproject.toml
lint: $(STAMP)
	$(VENV)/bin/ruff check mlcourse
	$(VENV)/bin/ruff format --check mlcourse
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/bench_mnist_epoch.py

clean:
	rm -rf _build .pytest_cache

.PHONY: grade-bench
# Time isolated grading: 200 honest submissions of one chapter, and one alone (issue 11).
grade-bench: $(STAMP)
	$(PY) benchmarks/bench_grading.py
