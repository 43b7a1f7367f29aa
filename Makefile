# Two commands do all the set-up: `make lab` and `make test`. See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# JupyterLab refuses to run as root without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# `make test CHAPTERS=04` (or 04,05) runs one chapter's tests; empty means every chapter.
CHAPTERS ?=
comma := ,
CHAPTER_DIRS := $(if $(CHAPTERS),$(foreach c,$(subst $(comma), ,$(CHAPTERS)),$(wildcard solutions/$(c)-* course/$(c)-*)),solutions course)
export COURSE_CHAPTERS := $(CHAPTERS)

.PHONY: env lab test test-fast lint release bench clean

## env: create or refresh the virtual environment (re-installs when pyproject.toml or constraints.txt change)
env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

## lab: open JupyterLab on the student notebooks in course/
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=course $(ROOT_FLAG)

## test: lint, then every test: helpers, checks, release sync, the autograde pipeline, nbval over solutions/ and course/
test: $(STAMP) lint
	MPLBACKEND=Agg $(BIN)/python -m pytest tests
	MPLBACKEND=Agg $(BIN)/python -m pytest --nbval-lax -p no:cacheprovider $(CHAPTER_DIRS)

## test-fast: the unit tests only (helpers, check framework, graders on small inputs), in seconds
test-fast: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -m "not pipeline and not slow"

## lint: ruff over helpers/, tests/ and the scripts
lint: $(STAMP)
	$(BIN)/ruff check helpers tests .ci nbgrader_config.py

## release: regenerate course/ from solutions/ with nbgrader (never edit course/ by hand)
release: $(STAMP)
	$(BIN)/python .ci/release.py course

## bench: run every solution notebook once; print seconds and peak memory per notebook
bench: $(STAMP)
	$(BIN)/python .ci/bench.py

clean:
	rm -rf $(VENV) .exchange gradebook.db .pytest_cache
