# justif — two commands on a fresh Debian 12 machine:
#   make demo   install everything, then check sample dossiers on embedded defaults
#   make test   install everything, then run the whole test suite
# (make test-fast skips the tests marked slow: the stack, Dask, interrupted runs,
# training, the long OCR batteries.)
# Both are idempotent: a second run skips what is already installed.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# System packages: OCR engine and languages, fonts for the document generator
# (OCR-B for machine-readable zones), OpenCV's LBP face cascade (opencv-data;
# the pip wheel ships only the Haar ones).
APT_PACKAGES := tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng tesseract-ocr-osd \
	fonts-dejavu-core fonts-liberation fonts-liberation2 fonts-ocr-b \
	opencv-data postgresql
INSTALLED := $(VENV)/.installed

# Process environment (Prefect quiet and private, tesseract single-threaded) is
# set by the programs themselves: justif/environment.py (the command line and
# the tests use it), ops/stack.py for the servers it starts.

.PHONY: install system-deps demo test test-fast lint format bench clean stack stack-stop

install: system-deps $(INSTALLED)

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:$$missing"; \
		if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(INSTALLED): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | { grep -v "is ignored" || true; }
	$(PY) -m pip install -q -e '.[train,dev]' 2>&1 | { grep -v -e "is ignored" -e "^ *$$" || true; }
	$(PY) -c "import justif, pipeline, runtime, flows, classifiers, training, cv2, pytesseract, prefect, faker, reportlab"
	@touch $@

demo: install
	$(VENV)/bin/justif demo

test: install
	$(VENV)/bin/pytest -q

test-fast: install
	$(VENV)/bin/pytest -q -m "not slow"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) -m bench.reading

# A production-like stack on loopback (SeaweedFS, PostgreSQL, Prefect server, one worker,
# every deployment of prefect.yaml); see docs/operations.md. State and logs in .stack/.
stack: install
	$(PY) -m ops.stack start --root .stack

stack-stop:
	$(PY) -m ops.stack stop --root .stack

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
