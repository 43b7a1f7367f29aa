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

.PHONY: env e2e-env lab test test-fast lint release bench bench-class grade progress clean

## env: create or refresh the virtual environment (re-installs when pyproject.toml or constraints.txt change)
env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

## e2e-env: what the JupyterHub and browser tests add: Debian's chromium (apt), jupyterhub (PyPI, the `hub`
## extra), playwright-core and configurable-http-proxy (npm, pinned in tests/e2e/package-lock.json)
E2E_DIR := tests/e2e
apt_install = if [ "$$(id -u)" != 0 ]; then echo "as root: apt-get update && apt-get install -y $(1)"; exit 1; fi; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1) >/dev/null
e2e-env: $(STAMP) $(VENV)/.hub-installed $(E2E_DIR)/node_modules/.installed
	@command -v chromium >/dev/null 2>&1 || { $(call apt_install,chromium); }
	@fc-list 2>/dev/null | grep -qi "color emoji" || { $(call apt_install,fonts-noto-color-emoji); }

$(VENV)/.hub-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[hub]'
	@touch $@

$(E2E_DIR)/node_modules/.installed: $(E2E_DIR)/package.json $(E2E_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { $(call apt_install,nodejs npm); }
	cd $(E2E_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## lab: open JupyterLab on the student notebooks in course/
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=course $(ROOT_FLAG)

## test: lint, then every test: helpers, checks, release sync, the autograde pipeline, nbval over solutions/ and course/
test: $(STAMP) lint e2e-env
	MPLBACKEND=Agg $(BIN)/python -m pytest tests
	MPLBACKEND=Agg $(BIN)/python -m pytest --nbval-lax -p no:cacheprovider $(CHAPTER_DIRS)

## test-fast: the unit tests only (helpers, check framework, graders on small inputs), in seconds
test-fast: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -m "not pipeline and not slow and not e2e"

## lint: ruff over helpers/, tests/ and the scripts
lint: $(STAMP)
	$(BIN)/ruff check helpers tests .ci nbgrader_config.py

## release: regenerate course/ from solutions/ with nbgrader (never edit course/ by hand)
release: $(STAMP)
	$(BIN)/python .ci/release.py course

## bench: run every solution notebook once; print seconds and peak memory per notebook
bench: $(STAMP)
	$(BIN)/python .ci/bench.py

## grade: grade a class: `make grade ASSIGNMENT=01-importance [FROM=folder|exchange]` (INSTRUCTORS.md)
ASSIGNMENT ?=
FROM ?=
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=01-importance [FROM=submissions/|exchange]"; exit 2; }
	$(BIN)/python -m helpers.grading.classroom $(ASSIGNMENT) $(if $(FROM),--from $(FROM),)

## progress: which exercises of which chapters pass their visible checks (`make progress CHAPTERS=01,04`)
progress: $(STAMP)
	$(BIN)/python -m helpers.grading.progress $(subst $(comma), ,$(CHAPTERS))

## bench-class: grade a generated class of 30 students over every chapter; time it, compare with grading alone
SOLO ?= 1
bench-class: $(STAMP)
	$(BIN)/python .ci/bench_class.py --solo $(SOLO) $(if $(CHAPTERS),--chapters $(CHAPTERS),)

clean:
	rm -rf $(VENV) .exchange gradebook.db .pytest_cache .artifacts $(E2E_DIR)/node_modules
