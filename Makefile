# Two commands do all the set-up: `make lab` and `make test`. See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# JupyterLab refuses to run as root without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: env lab test test-fast release bench clean

## env: create or refresh the virtual environment (re-installs when pyproject.toml or constraints.txt change)
env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

## lab: open JupyterLab on the student notebooks in course/
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=course $(ROOT_FLAG)

## test: every test: helpers, checks, release sync, nbval over solutions/ and course/, the autograde pipeline
test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests
	MPLBACKEND=Agg $(BIN)/python -m pytest --nbval-lax -p no:cacheprovider solutions course

## test-fast: the unit tests only (helpers and checks), in seconds
test-fast: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -m "not pipeline"

## release: regenerate course/ from solutions/ with nbgrader (never edit course/ by hand)
release: $(STAMP)
	$(BIN)/python .ci/release.py course

## bench: run every solution notebook once; print seconds and peak memory per notebook
bench: $(STAMP)
	$(BIN)/python .ci/bench.py

clean:
	rm -rf $(VENV) .exchange gradebook.db .pytest_cache
