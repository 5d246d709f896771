# dlnotes: two commands do everything on a fresh machine.
#   make book   build the HTML book into _build/html, executing every notebook
#   make test   unit tests, exercise-checker tests and every notebook under nbval
# Both create .venv and install the pinned dependencies when needed.

SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
# CI sets DLNOTES_STRICT_CHECKS so that a notebook whose own solution fails its checker fails the run.
export DLNOTES_STRICT_CHECKS ?= 1
# Batch execution prints one summary line per progress bar instead of a live tqdm bar.
export DLNOTES_PROGRESS ?= summary
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.DEFAULT_GOAL := help
.PHONY: help install book test test-unit lab student bench lock clean

help:
	@echo "make book     build the book (HTML) into _build/html, executing every notebook"
	@echo "make test     unit tests + exercise checkers + every notebook under nbval"
	@echo "make lab      JupyterLab on the chapters"
	@echo "make student  export exercise notebooks without solutions into student/"
	@echo "make bench    per-notebook execution times and dlnotes-vs-PyTorch timings"
	@echo "make clean    remove build products (keeps .venv; 'make distclean' removes it too)"

# The stamp depends on the pin files: editing a pin reinstalls on the next make.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

install: $(STAMP)

# One BLAS/OpenMP thread per process: pytest runs two workers, and the notebooks multiply small
# matrices, where spinning BLAS threads on a busy 2-core machine cost many times their CPU time
# (a chapter-6 notebook took 316 s with default threads and 17 s with one).
ONE_THREAD := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

book: $(STAMP)
	$(ONE_THREAD) $(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "Book built: file://$(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(ONE_THREAD) $(BIN)/python -m pytest -n 2 --dist loadfile

test-unit: $(STAMP)
	$(ONE_THREAD) $(BIN)/python -m pytest tests -m "not slow" -n 2 --dist loadfile

lab: $(STAMP)
	$(BIN)/jupyter lab chapters

student: $(STAMP)
	$(BIN)/python -m dlnotes.exercises export chapters student

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Regenerate constraints.txt from the current .venv after changing a pin in pyproject.toml.
lock: $(STAMP)
	{ echo "# Full pinned dependency set (pip freeze of a verified .venv). Used as \`pip install -c constraints.txt\`."; \
	  echo "# Regenerate with \`make lock\` after changing a pin in pyproject.toml."; \
	  echo "torch==2.13.0"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v -e '^torch==' -e '^-e' ; } > constraints.txt

clean:
	rm -rf _build student .pytest_cache .hypothesis
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
