# khuyencong — run `make help` for the targets.
# Every target that needs Python first builds .venv (once, or again when requirements.lock or
# pyproject.toml change): pinned packages, the package in editable mode, and a Jupyter kernel
# registered inside the venv (--sys-prefix), so nothing touches your home directory.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := khuyencong
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv bench test test-slow test-fast report report-plan data published official clean-data notebooks lab validate lock distclean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.lock pyproject.toml
	@echo ">> building $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (khuyencong)"
	@touch $@

venv: $(STAMP) ## Create or update the virtual environment (.venv) and its Jupyter kernel

# The tests run in a sandbox copy of the project with the demo set (.test-sandbox/, tests/sandbox.py):
# your data/processed/ and reports/ are never touched, whatever data/raw/inputs.yml declares.
test: $(STAMP) ## Run the test suite: unit tests + every notebook re-checked by nbval (not the slow Monte Carlo)
	$(BIN)/python tests/sandbox.py tests notebooks --nbval --nbval-sanitize-with notebooks/sanitize.cfg \
		-n 2 --dist loadfile -m "not slow" $(PYTEST_ARGS)

test-slow: $(STAMP) ## The slow tests only (Monte Carlo with 200 replications, full demo regeneration); CI runs them too
	$(BIN)/python tests/sandbox.py tests -n 2 -m slow $(PYTEST_ARGS)

test-fast: $(STAMP) ## Unit tests only (no notebooks, no slow tests)
	$(BIN)/python tests/sandbox.py tests -n 2 -m "not slow" $(PYTEST_ARGS)

REPORT_ARGS ?=
report: $(STAMP) ## Processed data (if raw inputs changed) + changed reports: make report REPORT_ARGS="--force --workers 2"
	$(BIN)/khuyencong report $(REPORT_ARGS)

report-plan: $(STAMP) ## Show which reports would be regenerated and why (runs nothing)
	$(BIN)/khuyencong report --dry-run

data: published official clean-data ## Build data/processed/ from data/raw/ (what the notebooks read)

published: $(STAMP) ## Parse the published figures into data/processed/
	$(BIN)/khuyencong published

official: $(STAMP) ## Read the official statistics (GSO, MOF) in data/raw/official/ into data/processed/
	$(BIN)/khuyencong official

clean-data: $(STAMP) ## Validate and clean the raw datasets data/raw/inputs.yml declares (demo set without it) into data/processed/
	$(BIN)/khuyencong clean

validate: $(STAMP) ## Check raw files: make validate FILES="data/raw/my_register.xlsx ..."
	$(BIN)/khuyencong validate $(FILES)

notebooks: $(STAMP) ## Re-execute the notebooks in place and store their outputs (after code changes)
	$(BIN)/khuyencong notebooks

BENCH_ARGS ?=
bench: $(STAMP) ## Benchmark regeneration, no-op runs, cleaning at scale, the tests (~12 min) and figure extraction → benchmarks/
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/extract.py

lab: $(STAMP) ## Open JupyterLab on the project kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

lock: ## Re-resolve requirements.lock from pyproject.toml (needs the package registry)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check ".[test]"
	.lock-venv/bin/python -m pip freeze --exclude khuyencong > requirements.lock
	rm -rf .lock-venv

distclean: ## Remove .venv and generated outputs (data/processed, reports, the test sandbox)
	rm -rf $(VENV) .test-sandbox data/processed/* data/processed/.raw_checksums.json data/processed/.sets data/processed/.current reports/* reports/.state reports/.lock
