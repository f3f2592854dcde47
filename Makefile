# Two entry points: `make demo` (set up and run the bundled demo) and `make test`.
PYTHON ?= python3
VENV ?= .venv
CORES ?= 2
# pytest-xdist workers for `make test`; the end-to-end runs start first, short tests fill in
TEST_WORKERS ?= 2
BIN := $(VENV)/bin
STAMP := $(VENV)/.biodl-installed

.PHONY: demo showcase test lint env clean

env: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

# every family on every dataset it supports, every baseline, five expression folds (results/showcase)
showcase: $(STAMP)
	$(BIN)/snakemake --configfile config/showcase.yaml --cores $(CORES)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check scripts tests benchmarks resources
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint

test: lint
	$(BIN)/pytest -n $(TEST_WORKERS) --maxschedchunk 1

clean:
	rm -rf results logs .snakemake
