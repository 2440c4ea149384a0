# The whole set-up is two commands: `make lab` and `make test`.
# Everything else here is for course authors and CI.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# Notebooks run with one BLAS thread: outputs do not depend on the thread count (summation
# order), and small matrix products are not slowed by threads fighting over a busy machine.
ONE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: help venv lab test unit notebooks-test notebooks release book e2e bench clean

help:
	@echo "make lab    - create .venv, install the course, open JupyterLab on the notebooks"
	@echo "make test   - create/update .venv if needed and run the whole test suite"
	@echo "make book   - build the HTML book into _build/html (warnings are errors)"
	@echo "make e2e    - real-browser tests of the built book and of JupyterLab"
	@echo "make release - write student versions of the notebooks to _build/release"
	@echo "make notebooks - re-execute every chapter notebook in place (authors)"
	@echo "make bench  - benchmark mlcourse against PyTorch on one MNIST epoch"

# The venv is rebuilt only when pyproject.toml changes, so re-running is quick.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mlcourse needs Python 3.11 or newer; found " + sys.version.split()[0])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[course,dev]"
	@touch $(STAMP)

venv: $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

test: unit notebooks-test

unit: $(STAMP)
	$(PY) -m pytest tests

notebooks-test: $(STAMP)
	@if [ -n "$(NOTEBOOKS)" ]; then $(ONE_THREAD) $(PY) -m pytest -p no:cacheprovider --nbval --nbval-sanitize-with notebooks/sanitize.cfg $(NOTEBOOKS); else echo "no chapter notebooks yet"; fi

notebooks: $(STAMP)
	$(ONE_THREAD) $(PY) tools/execute_notebooks.py $(NOTEBOOKS)

release: $(STAMP)
	$(VENV)/bin/mlcourse release --out _build/release

book: $(STAMP)
	$(PY) tools/build_book.py

e2e: $(STAMP)
	$(PY) tools/e2e.py

bench: $(STAMP)
	$(PY) benchmarks/bench_mnist_epoch.py

clean:
	rm -rf _build .pytest_cache
